"""Shared lessons: one "What we learned" card per review and channel."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import Lesson
from storage.types import utcnow


def cards_of(*, session: Session, review_id: int) -> Sequence[Lesson]:
    """A review's shared cards, oldest first (those not yet posted included)."""
    return session.exec(
        select(Lesson).where(Lesson.review_id == review_id).order_by(col(Lesson.id))
    ).all()


def save_lesson(
    *, session: Session, review_id: int, channel_id: str, text: str, shared_by: str
) -> Lesson:
    """The review's card in this channel, with this lesson: a re-share updates, never repeats."""
    lesson = session.exec(
        select(Lesson)
        .where(Lesson.review_id == review_id, Lesson.channel_id == channel_id)
        .order_by(col(Lesson.id))
    ).first()
    if lesson is None:
        lesson = Lesson(review_id=review_id, channel_id=channel_id, text=text, shared_by=shared_by)
    else:
        lesson.text, lesson.shared_by, lesson.shared_at = text, shared_by, utcnow()
    session.add(lesson)
    session.flush()
    return lesson
