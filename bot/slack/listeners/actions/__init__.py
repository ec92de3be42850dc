"""Button and select listeners."""

from slack_bolt import App

from bot.slack.ids import Act, Block
from bot.slack.listeners.actions import home, nudge, owner, review
from bot.slack.listeners.session import attach_by_id


def register(app: App) -> None:
    """Attach the interactive component listeners, routed by action id."""
    attach_by_id(
        app.action,
        {
            Act.ANSWER: review.open_answer,
            Act.NEXT: review.next_question,
            Act.BACK: review.previous_question,
            Act.GAP_TYPE: review.choose_gap,
            Act.ADD_ACTION: review.open_add_action,
            Act.CLOSE: review.close_review,
            Act.REOPEN: review.reopen_review,
            Act.START_DISCUSSION: review.start_discussion,
            Act.GIVE_PERSPECTIVE: review.open_perspective,
            Act.SHARE: review.open_share,
            Act.SAME_FAILURE: review.same_failure,
            Block.OWNER: owner.look_up_owner,
            Act.NUDGE_DONE: nudge.open_done,
            Act.NUDGE_RESCHEDULE: nudge.open_reschedule,
            Act.NUDGE_DROP: nudge.open_drop,
            Act.HOME_MORE: home.open_more,
        },
        lambda body: body["actions"][0]["action_id"],
    )
