"""App Home: my open actions and my reviews."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.review import STAGE_LABELS, action_line
from bot.blocks.text import clip, escape
from storage.models import Action, Review

SHOWN = 15  # per list; keeps the Home far below Slack's 100-block limit


def _link(review: Review) -> str:
    title = escape(review.title)
    return f"<{review.permalink}|{title}>" if review.permalink else title


def home_view(
    *,
    actions: Sequence[tuple[Action, Review]],
    reviews: Sequence[Review],
    today: date,
) -> View:
    """The Home tab for one person."""
    blocks: list = [HeaderBlock(text="Your after-action reviews")]
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Your open actions*")))
    if not actions:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Nothing open. 🎉")]))
    for action, review in actions[:SHOWN]:
        late = " · *overdue*" if action.review_date < today else ""
        text = f"{action_line(action)}\n   _From_ {_link(review)}{late}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(text, 3000))))
    blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text="*Your reviews*"))]
    if not reviews:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text="None yet. Start one with `/aar`.")])
        )
    for review in reviews[:SHOWN]:
        stage = STAGE_LABELS.get(review.stage, review.stage)
        lock = " 🔒" if review.confidential else ""
        line = f"{_link(review)}{lock} · {stage} · {review.created_at:%-d %b %Y}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(line, 3000))))
    return View(type="home", blocks=blocks)
