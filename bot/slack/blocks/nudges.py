"""Nudge DMs to an action's owner, and the escalation to the review's facilitator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import Block

from bot.slack.blocks import kit
from bot.slack.blocks.followup import nudge_buttons, state_line
from bot.slack.blocks.kit import context, section, what_and_criterion
from bot.slack.blocks.text import clip, escape
from flows.nudges import NudgeKind, format_due
from storage.models import Action, ActionStatus, Review

TEXT_LIMIT = 300  # the notification preview; the blocks carry the whole action
# The message metadata every nudge post carries, so a retry can find what went out.
NUDGE_EVENT = "aarbot_nudge"


def nudge_metadata(*nudge_ids: int) -> dict[str, Any]:
    """The `metadata` of a nudge's post: one nudge id, or the ids a grouped DM stands for."""
    if len(nudge_ids) == 1:
        payload: dict[str, Any] = {"nudge_id": nudge_ids[0]}
    else:
        payload = {"nudge_ids": list(nudge_ids)}
    return {"event_type": NUDGE_EVENT, "event_payload": payload}


def carried_nudge_ids(message: dict[str, Any]) -> set[int]:
    """The nudge ids a Slack message's metadata says it carries (none for other messages)."""
    meta = message.get("metadata") or {}
    if meta.get("event_type") != NUDGE_EVENT:
        return set()
    payload = meta.get("event_payload") or {}
    raw = payload.get("nudge_ids") or [payload.get("nudge_id")]
    return {int(i) for i in raw if isinstance(i, int) or (isinstance(i, str) and i.isdigit())}


def review_link(review: Review) -> str:
    """The review's title as nudges and the channel digest show it: linked, or bold unlinked."""
    return kit.review_link(review, bold_unlinked=True)


def _headline(kind: str, action: Action, today: date) -> str:
    due = format_due(action.review_date, today)
    if kind == NudgeKind.REMINDER:
        return f"⏰ Coming up: an action you own is {due}."
    if kind == NudgeKind.DUE:
        return "📅 Today is the review date of an action you own."
    return f"⌛ This action was {due.replace('overdue since', 'due')}. Is it still open?"


def nudge_dm(
    *, kind: str, action: Action, review: Review, today: date, hidden: bool = False
) -> tuple[str, list[Block]]:
    """The DM to an action's owner: what, criterion, review, date, Done/Reschedule/Drop."""
    # `hidden`: the owner may not see the review (confidential, not theirs): it goes unnamed.
    headline = _headline(kind, action, today)
    what = escape(action.what)
    origin = kit.from_review(review, hidden=hidden, bold_unlinked=True)
    body = f"{what_and_criterion(action)}\n{origin} · {format_due(action.review_date, today)}"
    blocks: list[Block] = [
        section(headline),
        section(body),
        nudge_buttons(action, block_id=f"nudge:{action.id}"),
        context("Done asks what happened; Drop asks why."),
    ]
    return clip(f"{headline} {what}", TEXT_LIMIT), blocks


def _late(days_late: int) -> str:
    return f"{days_late} day{'' if days_late == 1 else 's'}"


def _escalation_line(action: Action) -> str:
    return (
        f"{what_and_criterion(action)}\n"
        f"Owner <@{action.owner_id}> · review date {action.review_date:%a %-d %b %Y}"
    )


def escalation_messages(
    action: Action, review: Review, days_late: int
) -> tuple[tuple[str, list[Block]], tuple[str, list[Block]]]:
    """(the post in the review's thread, the DM to the facilitator) for a late, open action."""
    what = escape(action.what)
    late = _late(days_late)
    line = _escalation_line(action)
    thread_text = f"🚩 An action from this review is {late} past its review date and still open."
    thread = (
        clip(f"{thread_text} {what}", TEXT_LIMIT),
        [section(thread_text), section(line)],
    )
    dm_text = (
        f"🚩 An action from your review {review_link(review)} is {late} past its review date "
        "and still open. Check in with its owner, or reschedule or drop it."
    )
    dm = (
        clip(f"An action from your review is {late} late: {what}", TEXT_LIMIT),
        [
            section(dm_text),
            section(line),
            # The facilitator is asked to check in first, so Done is not put forward.
            nudge_buttons(action, block_id=f"escalation:{action.id}", done_primary=False),
        ],
    )
    return thread, dm


# A header, then per action its section, its buttons and, once acted on, its state: Slack
# allows 50 blocks in a message.
DIGEST_ACTIONS = 16


def _listed(action_id: int) -> str:
    return f"escalated:{action_id}"


def _listed_buttons(action_id: int) -> str:
    return f"escalation:{action_id}"


def _listed_state(action_id: int) -> str:
    return f"escalated-state:{action_id}"


def escalation_digest(items: Sequence[tuple[Action, Review, int]]) -> tuple[str, list[Block]]:
    """One DM listing several late, open actions (with their reviews and days late).

    A sweep that escalates several actions to the same person sends this once instead of a
    DM per action. Each action links to its review and has its own Done / Reschedule / Drop;
    acting on one updates only its own lines (`listed_action_state`).
    """
    head = (
        f"🚩 {len(items)} actions from your reviews are past their review date and still "
        "open. Check in with their owners, or reschedule or drop them."
    )
    blocks: list[Block] = [section(head)]
    for action, review, days_late in items[:DIGEST_ACTIONS]:
        origin = kit.from_review(review, bold_unlinked=True)
        line = f"{_escalation_line(action)} · {_late(days_late)} late\n{origin}"
        blocks.append(section(line, block_id=_listed(action.id)))
        blocks.append(
            nudge_buttons(action, block_id=_listed_buttons(action.id), done_primary=False)
        )
    whats = "; ".join(escape(action.what) for action, _review, _days in items)
    return clip(f"{len(items)} actions from your reviews are late: {whats}", TEXT_LIMIT), blocks


def lists_actions(message: dict[str, Any]) -> bool:
    """True for a grouped escalation DM (one that lists several actions)."""
    return len(carried_nudge_ids(message)) > 1


def listed_action_state(message: dict[str, Any], action: Action) -> list[dict[str, Any]]:
    """A grouped escalation DM's blocks with one action's new state under its lines; its
    buttons go once it is no longer open. The other actions are left as they were."""
    state = context(state_line(action), block_id=_listed_state(action.id)).to_dict()
    blocks: list[dict[str, Any]] = []
    for block in message.get("blocks") or []:
        block_id = block.get("block_id")
        if block_id == _listed_state(action.id):
            continue
        if block_id == _listed_buttons(action.id) and action.status != ActionStatus.OPEN:
            continue
        blocks.append(block)
        if block_id == _listed(action.id):
            blocks.append(state)
    return blocks
