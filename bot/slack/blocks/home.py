"""App Home: my open actions (with the nudge's buttons), my reviews, recent shared lessons,
and for leads the workspace's stats; plus the modal a list's "See all" opens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.blocks.followup import nudge_buttons
from bot.slack.blocks.kit import (
    SECTION_LIMIT,
    context,
    md,
    review_link,
    section,
    what_and_criterion,
)
from bot.slack.blocks.modals import plain
from bot.slack.blocks.review import STAGE_LABELS
from bot.slack.blocks.stats import figures_blocks
from bot.slack.blocks.text import clip, count, escape, one_line
from bot.slack.ids import COMMAND, Act
from bot.slack.ids import View as ViewId
from flows.stats import DEFAULT_DAYS, Figures
from storage.models import Action, Lesson, Review

# How many of each list the Home shows; with two blocks per action the whole Home stays
# near 50 blocks, far below Slack's 100, whatever the lists' lengths.
SHOWN_ACTIONS = 10
SHOWN_REVIEWS = 10
SHOWN_LESSONS = 5
# How many a "See all" modal lists, packed several to a section (Slack: 100 blocks a view).
LISTED = 200
LESSON_LIMIT = 300


class MoreList:
    """Values of the "See all" buttons: which list to open."""

    ACTIONS = "actions"
    REVIEWS = "reviews"
    LESSONS = "lessons"


@dataclass(frozen=True)
class HomeContent:
    """Everything one person's Home shows; `hidden` are reviews they may not see."""

    actions: Sequence[tuple[Action, Review]]
    action_total: int
    reviews: Sequence[Review]
    review_total: int
    lessons: Sequence[tuple[Lesson, Review]]
    lesson_total: int
    today: date
    hidden: frozenset[int] = frozenset()
    stats: Figures | None = None
    stats_days: int = DEFAULT_DAYS
    template_names: Mapping[str, str] = field(default_factory=dict)


def _due(action: Action, today: date) -> str:
    late = " · *overdue*" if action.review_date < today else ""
    return f"review date {action.review_date:%a %-d %b %Y}{late}"


def _action_text(action: Action, review: Review, content: HomeContent) -> str:
    return (
        f"{what_and_criterion(action)}\n"
        f"{_due(action, content.today)} · from {review_link(review, hidden=content.hidden)}"
    )


def _review_line(review: Review) -> str:
    stage = STAGE_LABELS.get(review.stage, review.stage)
    lock = " 🔒" if review.confidential else ""
    return f"{review_link(review)}{lock} · {stage} · {review.created_at:%-d %b %Y}"


def _lesson_text(lesson: Lesson, review: Review) -> str:
    return (
        f">{one_line(lesson.text, LESSON_LIMIT)}\n"
        f"_From_ {review_link(review)} · shared in <#{lesson.channel_id}> "
        f"on {lesson.shared_at:%-d %b %Y}"
    )


def _more(shown: int, total: int, noun: str, which: str) -> list[Block]:
    """A "See all" line when a list is longer than the Home shows."""
    if total <= shown:
        return []
    return [
        SectionBlock(
            text=md(f"Showing {shown} of {count(total, noun)}."),
            accessory=ButtonElement(text=f"See all {total}", action_id=Act.HOME_MORE, value=which),
        )
    ]


def _actions(content: HomeContent) -> list[Block]:
    blocks: list[Block] = [section(f"*Your open actions* · {content.action_total}")]
    if not content.actions:
        return [*blocks, context("Nothing open. 🎉")]
    shown = content.actions[:SHOWN_ACTIONS]
    for action, review in shown:
        blocks.append(section(_action_text(action, review, content)))
        # The nudge DM's own buttons: the same listeners handle a click here.
        blocks.append(nudge_buttons(action, block_id=f"home_action:{action.id}"))
    return blocks + _more(len(shown), content.action_total, "open action", MoreList.ACTIONS)


def actions_message(content: HomeContent) -> tuple[str, list[Block]]:
    """`/aar actions`: my open actions with their buttons, as the Home lists them."""
    if not content.actions:
        return "You have no open actions.", [
            section("You have no open actions. 🎉 Actions you own show up here and on my Home.")
        ]
    text = f"Your open actions: {content.action_total}"
    return text, _actions(content)


def _reviews(content: HomeContent) -> list[Block]:
    blocks: list[Block] = [section(f"*Reviews you facilitate or joined* · {content.review_total}")]
    if not content.reviews:
        return [*blocks, context(f"None yet. Start one with `{COMMAND}` in a channel.")]
    shown = content.reviews[:SHOWN_REVIEWS]
    blocks += [section(_review_line(review)) for review in shown]
    return blocks + _more(len(shown), content.review_total, "review", MoreList.REVIEWS)


def _lessons(content: HomeContent) -> list[Block]:
    blocks: list[Block] = [section("*Recent shared lessons*")]
    if not content.lessons:
        return [*blocks, context("No lessons shared yet.")]
    shown = content.lessons[:SHOWN_LESSONS]
    blocks += [section(_lesson_text(lesson, review)) for lesson, review in shown]
    return blocks + _more(len(shown), content.lesson_total, "lesson", MoreList.LESSONS)


def _stats(content: HomeContent) -> list[Block]:
    if content.stats is None:
        return []
    return [
        DividerBlock(),
        section("*Workspace stats* (you see them as a lead)"),
        *figures_blocks(
            "Whole workspace",
            content.stats,
            days=content.stats_days,
            template_names=content.template_names,
        ),
        context(
            f"Updated when you open this tab. `{COMMAND} stats [days]` in a channel adds "
            "that channel's figures and another window."
        ),
    ]


def home_view(content: HomeContent) -> View:
    """The Home tab for one person."""
    blocks: list[Block] = [
        HeaderBlock(text="Your after-action reviews"),
        *_actions(content),
        DividerBlock(),
        *_reviews(content),
        DividerBlock(),
        *_lessons(content),
        *_stats(content),
    ]
    return View(type="home", blocks=blocks)


def _packed(lines: Sequence[str]) -> list[Block]:
    """Lines joined into as few sections as Slack's 3000-character limit allows."""
    blocks: list[Block] = []
    current = ""
    for raw in lines:
        line = clip(raw, SECTION_LIMIT)
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def _list_modal(title: str, lines: Sequence[str], total: int, tail: str) -> View:
    blocks = _packed(lines) or [context("Nothing here any more.")]
    if total > len(lines):
        blocks.append(context(f"…and {total - len(lines)} more. {tail}"))
    return View(
        type="modal",
        callback_id=ViewId.HOME_LIST,
        title=plain(title, 24),
        close=plain("Close", 24),
        blocks=blocks,
    )


def actions_modal(content: HomeContent) -> View:
    """Every open action of the person (up to LISTED), soonest review date first."""
    lines = [
        f"• *{escape(action.what)}* · {_due(action, content.today)} · from "
        f"{review_link(review, hidden=content.hidden)}"
        for action, review in content.actions[:LISTED]
    ]
    tail = "Finish or reschedule some from the Home tab to see the rest."
    return _list_modal("Your open actions", lines, content.action_total, tail)


def reviews_modal(content: HomeContent) -> View:
    """Every review the person facilitates or joined (up to LISTED), newest first."""
    lines = [f"• {_review_line(review)}" for review in content.reviews[:LISTED]]
    tail = f"Use `{COMMAND} search <words>` to find older ones."
    return _list_modal("Your reviews", lines, content.review_total, tail)


def lessons_modal(content: HomeContent) -> View:
    """The newest shared lessons the person may see (up to LISTED)."""
    lines = [_lesson_text(lesson, review) for lesson, review in content.lessons[:LISTED]]
    tail = f"Use `{COMMAND} search <words>` to find older ones."
    return _list_modal("Shared lessons", lines, content.lesson_total, tail)


def notice_modal(text: str) -> View:
    """A short message in a modal, for a click on the Home that has nowhere else to answer."""
    return View(
        type="modal",
        callback_id=ViewId.NOTICE,
        title=plain("aarbot", 24),
        close=plain("OK", 24),
        blocks=[section(text)],
    )
