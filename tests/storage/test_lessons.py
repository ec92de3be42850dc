"""A review's lesson: its newest shared card, else what its thread said it learned."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from storage import reviews as store
from storage.lessons import LESSON_KEY, lessons_of, save_lesson
from storage.models import AnswerSource, Review
from storage.types import utcnow


def _review(session: Session, *lessons: tuple[str, str]) -> Review:
    review = store.create_review(
        session=session,
        team_id="T0001",
        template="miss",
        kind="miss",
        title="Checkout outage",
        channel_id="C0GENERAL",
        facilitator_id="U0ALICE",
    )
    for text, source in lessons:
        store.add_answer(
            session=session,
            review_id=review.id,
            question_key=LESSON_KEY,
            author_id="U0BOB",
            text=text,
            source=source,
        )
    session.flush()
    return review


def test_the_newest_shared_card_wins_even_when_a_re_share_updated_an_older_row(
    session: Session,
) -> None:
    review = _review(session, ("Watch the graphs", AnswerSource.THREAD))
    start = utcnow() - timedelta(hours=3)
    first = save_lesson(
        session=session, review_id=review.id, channel_id="C0ONE", text="First", shared_by="U0A"
    )
    first.shared_at = start
    second = save_lesson(
        session=session, review_id=review.id, channel_id="C0TWO", text="Second", shared_by="U0A"
    )
    second.shared_at = start + timedelta(hours=1)
    session.flush()
    assert lessons_of(session=session, review_ids=[review.id]) == {review.id: "Second"}

    again = save_lesson(
        session=session, review_id=review.id, channel_id="C0ONE", text="Again", shared_by="U0A"
    )
    assert again.id == first.id
    assert lessons_of(session=session, review_ids=[review.id]) == {review.id: "Again"}


def test_before_sharing_the_public_lesson_answers_are_joined_in_order(session: Session) -> None:
    said = _review(
        session,
        ("Deploy on Mondays.", AnswerSource.THREAD),
        ("I still blame the vendor.", AnswerSource.PRIVATE),
        ("Watch the graphs.", AnswerSource.MODAL),
    )
    silent = _review(session)
    found = lessons_of(session=session, review_ids=[said.id, silent.id])
    assert found == {said.id: "Deploy on Mondays. Watch the graphs."}


def test_no_reviews_no_lessons(session: Session) -> None:
    assert lessons_of(session=session, review_ids=[]) == {}
