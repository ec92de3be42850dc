"""Block Kit pieces the messages share: mrkdwn sections and context lines within Slack's limit."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.blocks.text import clip

SECTION_LIMIT = 3000  # Slack's limit on a section's text and on a context element's


def md(text: str) -> MarkdownTextObject:
    """A mrkdwn text object, as given: the caller escapes user text and keeps to the limit."""
    return MarkdownTextObject(text=text)


def section(text: str) -> SectionBlock:
    """A mrkdwn section, clipped to Slack's limit."""
    return SectionBlock(text=md(clip(text, SECTION_LIMIT)))


def context(text: str) -> ContextBlock:
    """A context line of one mrkdwn element, clipped to Slack's limit."""
    return ContextBlock(elements=[md(clip(text, SECTION_LIMIT))])
