"""The `/aar help` message."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.slack.blocks.kit import context, section
from bot.slack.blocks.text import clip, escape
from bot.slack.ids import COMMAND

USAGE: tuple[tuple[str, str], ...] = (
    (f"{COMMAND}", "start an after-action review in this channel"),
    (f"{COMMAND} <title>", "start one with its title filled in"),
    (f"{COMMAND} list", "the open reviews in this channel"),
    (f"{COMMAND} actions", "your open corrective actions and their review dates"),
    (f"{COMMAND} search <words>", "past reviews and lessons that match"),
    (f"{COMMAND} stats [days]", "reviews, gap types, actions done on time, repeats"),
    (f"{COMMAND} help", "this message"),
)


def help_text() -> str:
    """The usage as plain text (the notification fallback)."""
    return "How to use aarbot:\n" + "\n".join(f"{cmd}: {what}" for cmd, what in USAGE)


def help_blocks(*, unknown: str | None = None) -> list[Block]:
    """Usage for every subcommand; `unknown` is what the user typed that we did not know."""
    lines = "\n".join(f"`{cmd}`  {what}" for cmd, what in USAGE)
    blocks: list[Block] = []
    if unknown:
        blocks.append(section(f"I don't know `{_code(unknown)}`. Here is what I can do:"))
    blocks += [
        section(f"*After-action reviews with aarbot*\n{lines}"),
        context(
            "Start a review from any message with its ⋯ menu: *Start a review from this message*."
        ),
    ]
    return blocks


def _code(text: str) -> str:
    # Inside `code`, mrkdwn still parses <…>, so escape; backticks would end the span.
    return escape(clip(text, 60)).replace("`", "'")
