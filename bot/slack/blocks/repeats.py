"""Repeats: similar past reviews in a new review's thread, and the escalation to leads."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from bot.slack.blocks.kit import HIDDEN, SECTION_LIMIT, context, md, review_link, section
from bot.slack.blocks.review import action_line
from bot.slack.blocks.text import clip, count, one_line
from bot.slack.ids import Act
from flows.repeats import Past
from flows.templates import GAP_LABELS
from storage.models import Action, Review

SHOWN_ACTIONS = 10


def _done(past: Past) -> str:
    if not past.actions_total:
        return "no actions"
    if past.actions_done == past.actions_total:
        return f"all {count(past.actions_total, 'action')} done"
    return f"{past.actions_done} of {count(past.actions_total, 'action')} done"


def _said(past: Past, text: str | None, missing: str) -> str:
    # A confidential review's answers stay in its own thread, as on its lesson card.
    if past.confidential:
        return "🔒 _kept private: confidential review_"
    return one_line(text, 300) if text else missing


def similar_message(review: Review, pasts: Sequence[Past]) -> tuple[str, list[Block]]:
    """Past reviews that look like this one, each with a "Same failure again" button."""
    blocks: list[Block] = [
        section(
            "*🔁 This may have happened before.* Similar past reviews in this workspace. "
            "If one is the same failure, the facilitator can say so."
        )
    ]
    for past in pasts:
        earlier = past.review
        gap = GAP_LABELS.get(earlier.gap_type) if earlier.gap_type else None
        lines = [
            f"*{review_link(earlier)}* · <#{earlier.channel_id}> · {earlier.created_at:%-d %b %Y}",
            "*Root cause:* "
            + _said(past, past.root_cause, "_not recorded_")
            + (f" ({gap})" if gap else ""),
            "*Lesson:* " + _said(past, past.lesson, "_none yet_"),
            f"*Actions:* {_done(past)}",
        ]
        blocks.append(
            SectionBlock(
                text=md(clip("\n".join(lines), SECTION_LIMIT)),
                accessory=ButtonElement(
                    text="Same failure again",
                    action_id=Act.SAME_FAILURE,
                    value=f"{review.id}:{earlier.id}",
                ),
            )
        )
    return f"{count(len(pasts), 'similar past review')} found", blocks


def repeat_marked(user_id: str, past: Review) -> tuple[str, list[Block]]:
    """The thread's note that this review repeats an earlier one."""
    text = f"<@{user_id}> marked this review as the same failure as {review_link(past)}."
    return "Marked as a repeat", [context("🔁 " + text)]


def escalation_message(
    chain: Sequence[Review],
    actions: Sequence[Action],
    *,
    window_days: int,
    show_confidential: bool,
) -> tuple[str, list[Block]]:
    """The escalation: the chain of reviews, and the actions that did not prevent the repeat."""
    latest = chain[-1]
    title = latest.title if show_confidential or not latest.confidential else HIDDEN
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"Repeated failure: {title}", 150)),
        section(
            f"The same failure has now happened *{len(chain)} times in {window_days} days*. "
            "The actions agreed after the earlier reviews did not prevent it."
        ),
    ]
    lines = []
    for review in chain:
        when = f"{review.created_at:%-d %b %Y}"
        if review.confidential and not show_confidential:
            lines.append(f"• {when} · 🔒 {HIDDEN} in <#{review.channel_id}>")
            continue
        gap = GAP_LABELS.get(review.gap_type) if review.gap_type else "gap not set"
        lines.append(
            f"• {when} · {review_link(review)} · <#{review.channel_id}> · {gap} · "
            f"facilitated by <@{review.facilitator_id}>"
        )
    blocks.append(section("*The reviews*\n" + "\n".join(lines)))
    hidden = {r.id for r in chain if r.confidential and not show_confidential}
    earlier = [a for a in actions if a.review_id != latest.id and a.review_id not in hidden]
    if earlier:
        shown = "\n".join(action_line(a) for a in earlier[:SHOWN_ACTIONS])
        more = len(earlier) - SHOWN_ACTIONS
        shown += f"\n…and {more} more" if more > 0 else ""
        blocks += [DividerBlock(), section(f"*Actions taken*\n{shown}")]
    elif not hidden:
        blocks.append(section("*Actions taken:* none were agreed."))
    if show_confidential or not latest.confidential:
        blocks.append(context(f"Latest: {review_link(latest)}"))
    return f"Repeated failure ({len(chain)} times in {window_days} days)", blocks


def escalated_note(chain_length: int, window_days: int, where: str) -> tuple[str, list[Block]]:
    """The review thread's note that its chain of repeats went to the leads."""
    text = (
        f"🚨 This failure has now happened {chain_length} times in {window_days} days; "
        f"it was escalated to {where}."
    )
    return "Escalated to the leads", [context(text)]
