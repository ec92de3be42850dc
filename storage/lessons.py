"""Shared lessons: one "What we learned" card per review and channel."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from storage.models import Answer, AnswerSource, Lesson
from storage.types import utcnow

# The question whose answers are a review's lesson until one is shared.
LESSON_KEY = "lesson"


def cards_of(*, session: Session, review_id: int) -> Sequence[Lesson]:
    """A review's shared cards, oldest first (those not yet posted included)."""
    return session.exec(
        select(Lesson).where(Lesson.review_id == review_id).order_by(col(Lesson.id))
    ).all()


def lessons_of(*, session: Session, review_ids: Iterable[int]) -> dict[int, str]:
    """Each review's lesson: its newest shared card, else its "what we learned" answers joined.

    Reviews with neither are left out. Private perspectives never count.
    """
    ids = set(review_ids)
    if not ids:
        return {}
    found: dict[int, str] = {}
    # A re-share updates its channel's card in place, so the newest is by shared_at, not id.
    for card in session.exec(
        select(Lesson)
        .where(col(Lesson.review_id).in_(ids))
        .order_by(col(Lesson.shared_at), col(Lesson.id))
    ):
        found[card.review_id] = card.text
    said: dict[int, list[str]] = {}
    unshared = ids - found.keys()
    if unshared:
        for answer in session.exec(
            select(Answer)
            .where(
                col(Answer.review_id).in_(unshared),
                Answer.question_key == LESSON_KEY,
                Answer.source != AnswerSource.PRIVATE,
            )
            .order_by(col(Answer.created_at), col(Answer.id))
        ):
            said.setdefault(answer.review_id, []).append(answer.text)
    return found | {review_id: " ".join(texts) for review_id, texts in said.items()}


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
