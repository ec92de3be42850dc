"""What `/aar stats` and the leads' App Home count: reviews in a window and their actions.

Only what the viewer may see is counted (storage/visibility.py). A review counts once it has
been posted; a draft waiting for the app to be invited is not a review yet. The arithmetic
(shares, the median) is in flows/stats.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from storage.models import Action, ActionStatus, Review
from storage.visibility import visible_to


@dataclass(frozen=True)
class ActionFact:
    """What the stats need of one action: its state, dates and score."""

    status: ActionStatus
    review_date: date
    owner_tz: str
    specificity: int
    completed_at: datetime | None
    review_created_at: datetime


@dataclass(frozen=True)
class ReviewCounts:
    """The reviews started in the window that the viewer may see, and their actions."""

    reviews: int = 0
    by_template: Counter[str] = field(default_factory=Counter)
    by_gap_type: Counter[str | None] = field(default_factory=Counter)
    repeats: int = 0
    confidential: int = 0
    actions: list[ActionFact] = field(default_factory=list)


def _in_window(
    query, *, team_id: str, since: datetime, viewer_id: str, is_lead: bool, channel_id: str | None
):
    query = query.where(
        Review.team_id == team_id,
        col(Review.created_at) >= since,
        col(Review.message_ts).is_not(None),
        visible_to(viewer_id=viewer_id, is_lead=is_lead),
    )
    return query if channel_id is None else query.where(Review.channel_id == channel_id)


def review_counts(
    *,
    session: Session,
    team_id: str,
    since: datetime,
    viewer_id: str,
    is_lead: bool,
    channel_id: str | None = None,
) -> ReviewCounts:
    """Reviews since `since` (in one channel, or the workspace) that this person may see."""
    window = {
        "team_id": team_id,
        "since": since,
        "viewer_id": viewer_id,
        "is_lead": is_lead,
        "channel_id": channel_id,
    }
    repeated = case((col(Review.repeat_of_id).is_not(None), 1), else_=0)
    confidential = case((col(Review.confidential).is_(True), 1), else_=0)
    rows = session.exec(
        _in_window(
            select(
                Review.template,
                Review.gap_type,
                func.count(),
                func.sum(repeated),
                func.sum(confidential),
            ),
            **window,
        ).group_by(Review.template, Review.gap_type)
    ).all()
    by_template: Counter[str] = Counter()
    by_gap_type: Counter[str | None] = Counter()
    repeats = secret = 0
    for template, gap_type, n, n_repeats, n_confidential in rows:
        by_template[template] += n
        by_gap_type[gap_type] += n
        repeats += int(n_repeats or 0)
        secret += int(n_confidential or 0)
    actions = session.exec(
        _in_window(
            select(
                Action.status,
                Action.review_date,
                Action.owner_tz,
                Action.specificity,
                Action.completed_at,
                Review.created_at,
            ).join(Review, col(Review.id) == Action.review_id),
            **window,
        ).order_by(col(Action.id))
    ).all()
    return ReviewCounts(
        reviews=sum(by_template.values()),
        by_template=by_template,
        by_gap_type=by_gap_type,
        repeats=repeats,
        confidential=secret,
        actions=[ActionFact(*row) for row in actions],
    )
