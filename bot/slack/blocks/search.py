"""The `/aar search` answer: the best matching past reviews, with their lessons."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.slack.blocks.kit import context, linked, section
from bot.slack.blocks.text import clip, one_line
from bot.slack.ids import COMMAND
from storage.search import SearchHit

LESSON_LIMIT = 300
TITLE_LIMIT = 150
QUERY_LIMIT = 80


def search_usage() -> tuple[str, list[Block]]:
    """What to type when `/aar search` came without words."""
    text = f"Type some words after `{COMMAND} search`, e.g. `{COMMAND} search database failover`."
    return text, [section(text)]


def search_results(query: str, hits: Sequence[SearchHit]) -> tuple[str, list[Block]]:
    """Fallback text and blocks listing the hits, or saying that nothing matched."""
    shown = one_line(query, QUERY_LIMIT)
    if not hits:
        text = f"No past reviews match “{shown}”."
        return text, [section(text + " Try fewer or different words.")]
    text = f"Past reviews matching “{shown}”"
    blocks: list[Block] = [section(f"*{text}*")]
    for hit in hits:
        link = linked(clip(hit.title, TITLE_LIMIT), hit.permalink)
        lesson = (
            f"\n>{one_line(hit.lesson, LESSON_LIMIT)}"
            if hit.lesson
            else "\n_No lesson recorded yet._"
        )
        blocks.append(section(f"*{link}*{lesson}"))
        blocks.append(context(f"{hit.created.isoformat()} · <#{hit.channel_id}>"))
    return text, blocks
