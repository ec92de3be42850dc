"""What one person's App Home shows: their open actions and their reviews."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import Action, ActionStatus, Participant, Review


def open_actions_of(
    *, session: Session, team_id: str, user_id: str, limit: int
) -> Sequence[tuple[Action, Review]]:
    """The person's open actions with their reviews, soonest review date first."""
    return session.exec(
        select(Action, Review)
        .join(Review, col(Review.id) == Action.review_id)
        .where(
            Review.team_id == team_id,
            Action.owner_id == user_id,
            Action.status == ActionStatus.OPEN,
        )
        .order_by(col(Action.review_date), col(Action.id))
        .limit(limit)
    ).all()


def reviews_of(*, session: Session, team_id: str, user_id: str, limit: int) -> Sequence[Review]:
    """Reviews the person facilitates or takes part in, newest first."""
    return session.exec(
        select(Review)
        .join(Participant, col(Participant.review_id) == Review.id)
        .where(Review.team_id == team_id, Participant.user_id == user_id)
        .order_by(col(Review.created_at).desc(), col(Review.id).desc())
        .limit(limit)
    ).all()
