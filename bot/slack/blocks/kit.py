"""Block Kit pieces the messages share: mrkdwn sections and context lines within Slack's limit,
a review's title linked to its message, and an action with what shows it worked."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.slack.blocks.text import clip, escape
from storage.models import Action, Review

SECTION_LIMIT = 3000  # Slack's limit on a section's text and on a context element's
HIDDEN = "a confidential review"  # what a review the reader may not see is called


def md(text: str) -> MarkdownTextObject:
    """A mrkdwn text object, as given: the caller escapes user text and keeps to the limit."""
    return MarkdownTextObject(text=text)


def section(text: str, *, block_id: str | None = None) -> SectionBlock:
    """A mrkdwn section, clipped to Slack's limit."""
    return SectionBlock(text=md(clip(text, SECTION_LIMIT)), block_id=block_id)


def context(text: str, *, block_id: str | None = None) -> ContextBlock:
    """A context line of one mrkdwn element, clipped to Slack's limit."""
    return ContextBlock(elements=[md(clip(text, SECTION_LIMIT))], block_id=block_id)


def linked(text: str, url: str | None) -> str:
    """`text`, escaped, as a link to `url`; just the escaped text when there is no url."""
    return f"<{url}|{escape(text)}>" if url else escape(text)


def review_link(
    review: Review, *, hidden: frozenset[int] = frozenset(), bold_unlinked: bool = False
) -> str:
    """The review's title linked to its message; a review in `hidden` goes unnamed.

    `bold_unlinked` sets a title without a permalink in bold, so it stands out all the same.
    """
    if review.id in hidden:
        return f"_{HIDDEN}_"
    if bold_unlinked and not review.permalink:
        return f"*{escape(review.title)}*"
    return linked(review.title, review.permalink)


def from_review(review: Review, *, hidden: bool = False, bold_unlinked: bool = False) -> str:
    """The line under an action saying which review it is from; unnamed when `hidden`."""
    # `hidden`: the reader owns the action but may not see its review (storage/visibility.py).
    if hidden:
        return f"From _{HIDDEN}_"
    return f"From the review {review_link(review, bold_unlinked=bold_unlinked)}"


def worked_if(action: Action) -> str:
    """The action's success criterion, as every message words it."""
    return f"_Worked if:_ {escape(action.success_criterion)}"


def what_and_criterion(action: Action) -> str:
    """The action in bold, and its success criterion on the line below."""
    return f"*{escape(action.what)}*\n{worked_if(action)}"
