"""Private perspectives: each participant answers alone before the group discussion starts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from flows.review import ReviewError, require_steer
from flows.templates import Question, QuestionKind, Template
from storage import reviews as store
from storage.models import AnswerSource, Review, Stage
from storage.types import utcnow


@dataclass(frozen=True)
class DigestEntry:
    """One private answer as the digest shows it: its author only when attributed."""

    author_id: str | None
    text: str


def questions(template: Template) -> list[Question]:
    """The diagnostic questions asked privately: those before the actions, minus actions."""
    asked: list[Question] = []
    for question in template.questions:
        if question.kind == QuestionKind.ACTIONS:
            break
        asked.append(question)
    return asked


def record(
    *,
    session: Session,
    review: Review,
    template: Template,
    user_id: str,
    texts: Mapping[str, str],
) -> int:
    """Store (or replace) one person's private answers; return how many they gave."""
    if review.stage != Stage.PERSPECTIVES:
        raise ReviewError(
            "The group discussion has already started. Please answer in the review's thread."
        )
    keys = {q.key for q in questions(template)}
    given = {k: v.strip() for k, v in texts.items() if k in keys and v and v.strip()}
    if not given:
        raise ReviewError("Answer at least one question.")
    store.delete_private_answers(session=session, review_id=review.id, author_id=user_id)
    for key, text in given.items():
        store.add_answer(
            session=session,
            review_id=review.id,
            question_key=key,
            author_id=user_id,
            text=text,
            source=AnswerSource.PRIVATE,
        )
    participant = store.add_participant(session=session, review_id=review.id, user_id=user_id)
    participant.perspective_at = utcnow()
    store.touch(review)
    return len(given)


def progress(*, session: Session, review: Review) -> tuple[int, int]:
    """How many participants have given their perspective, out of how many."""
    people = store.participants(session=session, review_id=review.id)
    return sum(1 for p in people if p.perspective_at is not None), len(people)


def start_discussion(
    *,
    session: Session,
    review: Review,
    template: Template,
    user_id: str,
    leads: Sequence[str],
) -> list[tuple[Question, list[DigestEntry]]]:
    """End the private round; return the digest of private answers, question by question."""
    require_steer(review, user_id, leads, "start the discussion")
    if review.stage != Stage.PERSPECTIVES:
        raise ReviewError("The discussion has already started.")
    review.stage = Stage.DISCUSSION
    review.question_index = 0
    store.touch(review)
    private = [
        a
        for a in store.answers(session=session, review_id=review.id)
        if a.source == AnswerSource.PRIVATE
    ]
    digest = []
    for question in questions(template):
        entries = [
            DigestEntry(a.author_id if review.attributed_perspectives else None, a.text)
            for a in private
            if a.question_key == question.key
        ]
        digest.append((question, entries))
    return digest
