"""Sharing a lesson: the Share modal and the "What we learned" card."""

from __future__ import annotations

import re

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ConversationFilter,
    ConversationMultiSelectElement,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.slack.blocks.kit import context, section
from bot.slack.blocks.modals import modal, plain
from bot.slack.blocks.review import action_line
from bot.slack.blocks.text import clip, escape
from bot.slack.ids import Block as BlockId
from bot.slack.ids import Option as Opt
from bot.slack.ids import View as ViewId
from flows.lessons import LESSON_LIMIT, MAX_CHANNELS, Card
from storage.models import ActionStatus

SHOWN_ACTIONS = 10
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


def share_modal(
    *, review_title: str, lesson: str, default_channel: str, confidential: bool, meta: str
) -> View:
    """The Share lesson modal: the lesson (editable) and where the card goes."""
    initial = [default_channel] if _CHANNEL_ID.match(default_channel) else None
    blocks: list = [
        section(f"*{escape(clip(review_title, 2000))}*"),
        InputBlock(
            block_id=BlockId.LESSON,
            label=plain("What we learned"),
            hint=plain("One or two sentences another team can act on.", 150),
            element=PlainTextInputElement(
                action_id=BlockId.LESSON,
                multiline=True,
                max_length=LESSON_LIMIT,
                initial_value=lesson[:LESSON_LIMIT] or None,
            ),
        ),
        InputBlock(
            block_id=BlockId.SHARE_TO,
            label=plain("Post the card to"),
            element=ConversationMultiSelectElement(
                action_id=BlockId.SHARE_TO,
                placeholder=plain("Channels"),
                initial_conversations=initial,
                max_selected_items=MAX_CHANNELS,
                filter=ConversationFilter(
                    include=["public", "private"], exclude_external_shared_channels=True
                ),
            ),
        ),
    ]
    if confidential:
        blocks.append(
            InputBlock(
                block_id=BlockId.CONFIRM,
                label=plain("This review is confidential"),
                element=CheckboxesElement(
                    action_id=BlockId.CONFIRM,
                    options=[
                        Option(
                            value=Opt.SHARE_CONFIDENTIAL,
                            label="Share its lesson outside the review",
                            description="The card shows the lesson, gap type and actions, "
                            "never anyone's answers",
                        )
                    ],
                ),
            )
        )
    return modal(ViewId.SHARE, "Share the lesson", "Share", blocks, meta)


def lesson_card(card: Card, *, shared_by: str) -> tuple[str, list[Block]]:
    """The "What we learned" card for a shared channel."""
    review = card.review
    blocks: list[Block] = [HeaderBlock(text=clip(f"What we learned: {review.title}", 150))]
    facts = []
    if card.what_happened:
        facts.append(f"*What happened:* {escape(card.what_happened)}")
    if card.root_cause:
        facts.append(f"*Root cause:* {escape(card.root_cause)}")
    if card.gap_label:
        facts.append(f"*Gap:* {card.gap_label}")
    if facts:
        blocks.append(section("\n".join(facts)))
    lesson = "\n".join(f">{line}" for line in escape(card.lesson).splitlines() if line.strip())
    blocks.append(section(f"*The lesson*\n{lesson}"))
    if card.actions:
        lines = "\n".join(action_line(a) for a in card.actions[:SHOWN_ACTIONS])
        more = len(card.actions) - SHOWN_ACTIONS
        lines += f"\n…and {more} more in the review" if more > 0 else ""
        done = sum(1 for a in card.actions if a.status == ActionStatus.DONE)
        head = f"*Actions* ({done} of {len(card.actions)} done)"
        blocks.append(section(f"{head}\n{lines}"))
    where = f"<{review.permalink}|the review thread>" if review.permalink else "the review"
    footer = (
        f"From {where} in <#{review.channel_id}> · facilitated by <@{review.facilitator_id}> "
        f"· shared by <@{shared_by}>"
    )
    if review.confidential:
        footer += " · 🔒 confidential review: answers are not shown"
    blocks.append(context(footer))
    return f"What we learned: {escape(review.title)}", blocks
