"""The figures of `/aar stats`, from the counts storage/stats.py gathers.

Definitions (the README repeats them for users):
- an action's dates are read in its owner's time zone, like its nudges;
- *done by its review date*: of the actions that are done, or open with their review date
  passed, the share done on or before the review date; dropped actions are left out, since
  someone decided they were not worth doing rather than letting them slip;
- *overdue*: open actions whose review date has passed;
- *days to done*: from the review being started to the action being marked done;
- *repeat rate*: the share of the reviews that repeat an earlier one;
- *specificity*: the mean of every action's 0..4 score (flows/specificity.py), dropped ones too.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from flows.nudges import local_date
from storage.models import ActionStatus
from storage.stats import ActionFact, ReviewCounts, review_counts

DEFAULT_DAYS = 90
MAX_DAYS = 3650


@dataclass(frozen=True)
class Share:
    """`part` of `whole`; `ratio` is None when there is nothing to share out."""

    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        """part / whole, or None for 0 of 0."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Figures:
    """Everything one scope (a channel, or the workspace) of `/aar stats` shows."""

    reviews: int
    by_template: Counter[str]
    by_gap_type: Counter[str | None]
    repeats: Share
    done_on_time: Share
    overdue: int
    median_days_to_done: float | None
    mean_specificity: float | None
    confidential: int


def parse_days(text: str) -> int | None:
    """The window of `/aar stats [days]`: empty is the default, else 1..MAX_DAYS ("30", "30d")."""
    word = text.strip().lower()
    if not word:
        return DEFAULT_DAYS
    for suffix in (" days", "days", " day", "day", "d"):
        if word.endswith(suffix):
            word = word.removesuffix(suffix).strip()
            break
    if not word.isascii() or not word.isdigit():
        return None
    days = int(word)
    return days if 1 <= days <= MAX_DAYS else None


def since(now: datetime, days: int) -> datetime:
    """The start of a window of `days` days ending now."""
    return now - timedelta(days=days)


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None


def _on_time(action: ActionFact, fallback_tz: str) -> bool:
    done = action.completed_at
    return done is not None and local_date(done, action.owner_tz, fallback_tz) <= action.review_date


def _days_to_done(action: ActionFact) -> float | None:
    if action.status != ActionStatus.DONE or action.completed_at is None:
        return None
    return (action.completed_at - action.review_created_at) / timedelta(days=1)


def figures(counts: ReviewCounts, *, now: datetime, fallback_tz: str = "UTC") -> Figures:
    """The figures for one scope, with "today" read in each action's owner's zone.

    An owner's zone that is not usable is read as `fallback_tz`, as their nudges are.
    """
    done = [a for a in counts.actions if a.status == ActionStatus.DONE]
    late_open = [
        a
        for a in counts.actions
        if a.status == ActionStatus.OPEN
        and a.review_date < local_date(now, a.owner_tz, fallback_tz)
    ]
    days = [d for d in map(_days_to_done, done) if d is not None]
    scores = [a.specificity for a in counts.actions]
    return Figures(
        reviews=counts.reviews,
        by_template=counts.by_template,
        by_gap_type=counts.by_gap_type,
        repeats=Share(counts.repeats, counts.reviews),
        done_on_time=Share(sum(_on_time(a, fallback_tz) for a in done), len(done) + len(late_open)),
        overdue=len(late_open),
        median_days_to_done=median(days),
        mean_specificity=statistics.fmean(scores) if scores else None,
        confidential=counts.confidential,
    )


def scope_figures(
    *,
    session: Session,
    team_id: str,
    viewer_id: str,
    is_lead: bool,
    now: datetime,
    days: int,
    channel_id: str | None = None,
    fallback_tz: str = "UTC",
) -> Figures:
    """One channel's figures (the workspace's without `channel_id`), as this person sees them."""
    counts = review_counts(
        session=session,
        team_id=team_id,
        since=since(now, days),
        viewer_id=viewer_id,
        is_lead=is_lead,
        channel_id=channel_id,
    )
    return figures(counts, now=now, fallback_tz=fallback_tz)
