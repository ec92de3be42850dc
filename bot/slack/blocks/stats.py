"""The `/aar stats` answer, and the same figures as a section of a lead's App Home."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from slack_sdk.models.blocks import Block, SectionBlock

from bot.slack.blocks.kit import context, md, section
from bot.slack.blocks.text import clip, count, escape
from bot.slack.ids import COMMAND
from flows.stats import DEFAULT_DAYS, MAX_DAYS, Figures, Share

FIELD_LIMIT = 2000
NOT_CLASSIFIED = "Not classified"


def stats_usage() -> tuple[str, list[Block]]:
    """The usage line for a `days` that is not a whole number of days in range."""
    text = (
        f"Usage: `{COMMAND} stats [days]`, where days is a whole number from 1 to {MAX_DAYS} "
        f"(default {DEFAULT_DAYS}), e.g. `{COMMAND} stats 30`."
    )
    return text, [section(text)]


def _share(share: Share) -> str:
    ratio = share.ratio
    return "–" if ratio is None else f"{ratio:.0%} ({share.part} of {share.whole})"


def _tally(counts: Mapping[str, int]) -> str:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return clip(" · ".join(f"{name} {n}" for name, n in ranked) or "–", FIELD_LIMIT)


def _templates(by_template: Counter[str], names: Mapping[str, str]) -> dict[str, int]:
    named: Counter[str] = Counter()
    for key, n in by_template.items():
        named[escape(names.get(key, key))] += n
    return named


def _gaps(by_gap_type: Counter[str | None]) -> dict[str, int]:
    named: Counter[str] = Counter()
    for gap, n in by_gap_type.items():
        named[escape(gap.capitalize()) if gap else NOT_CLASSIFIED] += n
    return named


def _days(value: float | None) -> str:
    if value is None:
        return "– (nothing done yet)"
    return f"{value:.1f} day" + ("" if value == 1 else "s")


def figures_blocks(
    title: str, figures: Figures, *, days: int, template_names: Mapping[str, str]
) -> list[Block]:
    """One scope's figures: a title line and a section of fields (2 blocks), or a note."""
    heading = f"*{title}* · last {count(days, 'day')}"
    if not figures.reviews:
        return [section(f"{heading}\nNo reviews started in that time.")]
    specificity = (
        "–" if figures.mean_specificity is None else f"{figures.mean_specificity:.1f} of 4"
    )
    fields = [
        f"*Reviews*\n{figures.reviews}",
        f"*Repeat rate*\n{_share(figures.repeats)}",
        f"*By template*\n{_tally(_templates(figures.by_template, template_names))}",
        f"*By gap type*\n{_tally(_gaps(figures.by_gap_type))}",
        f"*Actions done by their review date*\n{_share(figures.done_on_time)}",
        f"*Overdue actions*\n{figures.overdue}",
        f"*Median time from review to action done*\n{_days(figures.median_days_to_done)}",
        f"*Average action specificity*\n{specificity}",
    ]
    return [
        section(heading),
        SectionBlock(fields=[md(clip(f, FIELD_LIMIT)) for f in fields]),
    ]


def confidential_note(*, is_lead: bool, shown: int) -> str:
    """How confidential reviews were counted, in words that reveal nothing to non-members."""
    if is_lead:
        return (
            f"As a lead you see every review; {count(shown, 'confidential review')} counted above."
        )
    # Always the same words, whether or not any exist: a count would tell a non-member that
    # confidential reviews happened, and (by varying the days) roughly when.
    return "Confidential reviews you are not part of are not counted."


def stats_message(
    *,
    days: int,
    channel_id: str,
    channel: Figures | None,
    workspace: Figures,
    is_lead: bool,
    template_names: Mapping[str, str],
) -> tuple[str, list[Block]]:
    """Fallback text and blocks of the ephemeral `/aar stats` answer (no channel part in a DM)."""
    here = "" if channel is None else f"{count(channel.reviews, 'review')} in this channel, "
    text = (
        f"After-action review stats, last {count(days, 'day')}: "
        f"{here}{count(workspace.reviews, 'review')} in the workspace."
    )
    blocks: list[Block] = []
    if channel is not None:
        blocks += figures_blocks(
            f"<#{channel_id}>", channel, days=days, template_names=template_names
        )
    blocks += [
        *figures_blocks("Whole workspace", workspace, days=days, template_names=template_names),
        context(
            confidential_note(is_lead=is_lead, shown=workspace.confidential)
            + " Dropped actions are left out of the done-by-date share; dates are read in "
            "each owner's time zone."
        ),
    ]
    return text, blocks
