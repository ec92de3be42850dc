"""Nudge DMs to an action's owner, and the escalation to the review's facilitator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import Block

from bot.blocks import kit
from bot.blocks.followup import nudge_buttons
from bot.blocks.kit import context, section, what_and_criterion
from bot.blocks.text import clip, escape
from flows.nudges import NudgeKind, format_due
from storage.models import Action, Review

TEXT_LIMIT = 300  # the notification preview; the blocks carry the whole action


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


# One section per action, under a header: Slack allows 50 blocks in a message.
DIGEST_ACTIONS = 40


def escalation_digest(items: Sequence[tuple[Action, Review, int]]) -> tuple[str, list[Block]]:
    """One DM listing several late, open actions (with their reviews and days late).

    A sweep that escalates several actions to the same person sends this once instead of a
    DM per action. Each action links to its review, whose thread has the escalation too.
    """
    head = (
        f"🚩 {len(items)} actions from your reviews are past their review date and still "
        "open. Check in with their owners: each owner's nudge has Done, Reschedule and Drop."
    )
    blocks: list[Block] = [section(head)]
    for action, review, days_late in items[:DIGEST_ACTIONS]:
        origin = kit.from_review(review, bold_unlinked=True)
        blocks.append(section(f"{_escalation_line(action)} · {_late(days_late)} late\n{origin}"))
    whats = "; ".join(escape(action.what) for action, _review, _days in items)
    return clip(f"{len(items)} actions from your reviews are late: {whats}", TEXT_LIMIT), blocks
