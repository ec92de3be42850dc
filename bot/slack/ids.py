"""Every Slack id the bot uses (commands, callback_ids, action_ids, block_ids), in one place.

manifest.yml declares the command and the shortcut callback ids; keep the two in step.
"""

from enum import StrEnum

COMMAND = "/aar"
# Suffix of an Add action button's value that asks for a follow-up on a closed review.
FOLLOW_UP = "follow_up"


class Shortcut(StrEnum):
    """callback_id of the global and message shortcuts (manifest.yml)."""

    START = "aar_start"
    START_FROM_MESSAGE = "aar_start_from_message"


class View(StrEnum):
    """callback_id of our modals."""

    START = "aar_start_modal"
    ANSWER = "aar_answer_modal"
    ADD_ACTION = "aar_action_modal"
    PERSPECTIVE = "aar_perspective_modal"
    OUTCOME = "aar_outcome_modal"
    RESCHEDULE = "aar_reschedule_modal"
    DROP = "aar_drop_modal"
    SHARE = "aar_share_modal"
    HOME_LIST = "aar_home_list_modal"
    NOTICE = "aar_notice_modal"


class Act(StrEnum):
    """action_id of buttons and selects in messages."""

    ANSWER = "aar_answer"
    NEXT = "aar_next"
    BACK = "aar_back"
    GAP_TYPE = "aar_gap_type"
    ADD_ACTION = "aar_add_action"
    CLOSE = "aar_close"
    REOPEN = "aar_reopen"
    START_DISCUSSION = "aar_start_discussion"
    GIVE_PERSPECTIVE = "aar_give_perspective"
    OPEN_LINK = "aar_open_link"
    NUDGE_DONE = "aar_nudge_done"
    NUDGE_RESCHEDULE = "aar_nudge_reschedule"
    NUDGE_DROP = "aar_nudge_drop"
    SHARE = "aar_share"
    SAME_FAILURE = "aar_same_failure"
    HOME_MORE = "aar_home_more"


class Block(StrEnum):
    """block_id (and the action_id inside) of modal inputs, read back from state.values."""

    TITLE = "title"
    TEMPLATE = "template"
    CHANNEL = "channel"
    WHAT_HAPPENED = "what_happened"
    PARTICIPANTS = "participants"
    OPTIONS = "options"
    ANSWER = "answer"
    WHAT = "what"
    OWNER = "owner"
    REVIEW_DATE = "review_date"
    CRITERION = "criterion"
    KIND = "kind"
    CONTROLS = "controls"
    GAP = "gap"
    OUTCOME = "outcome"
    CRITERION_MET = "criterion_met"
    NOTES = "notes"
    REASON = "reason"
    LESSON = "lesson"
    SHARE_TO = "share_to"
    CONFIRM = "confirm"


class Option(StrEnum):
    """Values of the start modal's checkboxes."""

    CONFIDENTIAL = "confidential"
    PERSPECTIVES = "perspectives"
    ATTRIBUTED = "attributed"
    SHARE_CONFIDENTIAL = "share_confidential"
