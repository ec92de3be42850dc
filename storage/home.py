"""What one person's App Home shows: their open actions, their reviews, and shared lessons."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, select

from storage.models import Action, ActionStatus, Lesson, Participant, Review
from storage.visibility import visible_to


def _count(session: Session, query) -> int:
    # Same FROM, joins and WHERE as the list, only counted.
    return int(session.scalar(query.with_only_columns(func.count())) or 0)


def _open_actions(team_id: str, user_id: str):
    return (
        select(Action, Review)
        .join(Review, col(Review.id) == Action.review_id)
        .where(
            Review.team_id == team_id,
            Action.owner_id == user_id,
            Action.status == ActionStatus.OPEN,
        )
    )


def open_actions_of(
    *, session: Session, team_id: str, user_id: str, limit: int | None
) -> Sequence[tuple[Action, Review]]:
    """The person's open actions with their reviews, soonest review date first; all if no limit."""
    return session.exec(
        _open_actions(team_id, user_id)
        .order_by(col(Action.review_date), col(Action.id))
        .limit(limit)
    ).all()


def count_open_actions_of(*, session: Session, team_id: str, user_id: str) -> int:
    """How many open actions the person owns."""
    return _count(session, _open_actions(team_id, user_id))


def _reviews(team_id: str, user_id: str):
    takes_part = exists().where(Participant.review_id == Review.id, Participant.user_id == user_id)
    return select(Review).where(
        Review.team_id == team_id, or_(Review.facilitator_id == user_id, takes_part)
    )


def reviews_of(*, session: Session, team_id: str, user_id: str, limit: int) -> Sequence[Review]:
    """Reviews the person facilitates or takes part in, newest first."""
    return session.exec(
        _reviews(team_id, user_id)
        .order_by(col(Review.created_at).desc(), col(Review.id).desc())
        .limit(limit)
    ).all()


def count_reviews_of(*, session: Session, team_id: str, user_id: str) -> int:
    """How many reviews the person facilitates or takes part in."""
    return _count(session, _reviews(team_id, user_id))


def _lessons(team_id: str, viewer_id: str, is_lead: bool):
    return (
        select(Lesson, Review)
        .join(Review, col(Review.id) == Lesson.review_id)
        .where(Review.team_id == team_id, visible_to(viewer_id=viewer_id, is_lead=is_lead))
    )


def recent_lessons(
    *, session: Session, team_id: str, viewer_id: str, is_lead: bool, limit: int
) -> Sequence[tuple[Lesson, Review]]:
    """Shared lesson cards of reviews this person may see, newest first."""
    return session.exec(
        _lessons(team_id, viewer_id, is_lead)
        .order_by(col(Lesson.shared_at).desc(), col(Lesson.id).desc())
        .limit(limit)
    ).all()


def count_lessons(*, session: Session, team_id: str, viewer_id: str, is_lead: bool) -> int:
    """How many shared lesson cards this person may see."""
    return _count(session, _lessons(team_id, viewer_id, is_lead))
