"""Repeats: the word-overlap score, which past reviews are shown and how, and escalations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session, select

from flows.repeats import (
    MIN_SIMILARITY,
    SHOWN,
    Past,
    due_escalation,
    find_similar,
    newest_that_fit,
    similarity,
    terms,
)
from flows.templates import builtin_templates
from storage import reviews as store
from storage.lessons import save_lesson
from storage.models import AnswerSource, Escalation, Review, Stage
from storage.repeats import CHAIN_IDS_LENGTH
from storage.types import utcnow

TEAM = "T0001"
TEMPLATES = builtin_templates()
HAPPENED = "Checkout broke after the Friday deploy because the payment feature flag was left on"


def test_terms_drop_stopwords_short_words_and_numbers_and_cut_endings() -> None:
    assert terms("The deploys were failing at 16:00 on Fridays") == {"deploy", "fail", "friday"}


def test_the_same_failure_in_other_words_scores_above_the_bar() -> None:
    a = terms("Checkout broke after the Friday deploy because the payment flag was left on")
    b = terms("Checkout outage after Friday deploy: the payment feature flag was on")
    assert similarity(a, b) >= MIN_SIMILARITY


def test_one_shared_common_word_is_not_a_repeat() -> None:
    a = terms("Checkout broke after the deploy")
    b = terms("Newsletter went out twice after the deploy")
    assert similarity(a, b) == 0.0


def test_unrelated_failures_score_below_the_bar() -> None:
    a = terms("Payment provider timeouts during the sale, checkout queue backed up")
    b = terms("Marketing email sent twice because the mailing job ran in two time zones")
    assert similarity(a, b) < MIN_SIMILARITY


def test_similarity_is_symmetric_and_one_for_the_same_text() -> None:
    a = terms("database failover took forty minutes")
    b = terms("failover of the database was slow")
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, a) == 1.0


def _past(
    session: Session,
    title: str,
    happened: str,
    *,
    channel_id: str = "C0GENERAL",
    confidential: bool = False,
) -> Review:
    review = store.create_review(
        session=session,
        team_id=TEAM,
        template="miss",
        kind="miss",
        title=title,
        channel_id=channel_id,
        facilitator_id="U0ALICE",
        confidential=confidential,
    )
    review.stage = Stage.CLOSED
    for key, text in (
        ("actual", happened),
        ("root_cause", "Nobody checked the payment flag before the deploy"),
        ("lesson", "Check flag state before every deploy"),
    ):
        store.add_answer(
            session=session,
            review_id=review.id,
            question_key=key,
            author_id="U0BOB",
            text=text,
            source=AnswerSource.THREAD,
        )
    session.flush()
    return review


def _new(session: Session, *, channel_id: str = "C0GENERAL") -> Review:
    review = store.create_review(
        session=session,
        team_id=TEAM,
        template="miss",
        kind="miss",
        title="Checkout down again after the Friday deploy",
        channel_id=channel_id,
        facilitator_id="U0ALICE",
    )
    review.stage = Stage.DISCUSSION
    session.flush()
    return review


def _similar(session: Session, review: Review) -> list[Past]:
    return find_similar(
        session=session, review=review, happened=HAPPENED, template_of=TEMPLATES.__getitem__
    )


def test_a_confidential_review_in_this_channel_is_listed_without_its_answers(
    session: Session,
) -> None:
    secret = _past(session, "Checkout outage after Friday deploy", HAPPENED, confidential=True)
    elsewhere = _past(
        session, "Checkout outage in private", HAPPENED, channel_id="G0SECRET", confidential=True
    )
    found = _similar(session, _new(session))
    assert [p.review.id for p in found] == [secret.id]
    assert elsewhere.id not in [p.review.id for p in found]
    assert found[0].confidential
    assert found[0].root_cause is None
    assert found[0].lesson is None


def test_an_open_review_is_listed_with_its_root_cause_and_lesson(session: Session) -> None:
    _past(session, "Checkout outage after Friday deploy", HAPPENED)
    [found] = _similar(session, _new(session))
    assert not found.confidential
    assert found.root_cause == "Nobody checked the payment flag before the deploy"
    assert found.lesson == "Check flag state before every deploy"


def test_the_lesson_shown_is_the_newest_shared_after_a_re_share(session: Session) -> None:
    past = _past(session, "Checkout outage after Friday deploy", HAPPENED)
    first = save_lesson(
        session=session, review_id=past.id, channel_id="C0ONE", text="First", shared_by="U0A"
    )
    first.shared_at = utcnow() - timedelta(hours=2)
    second = save_lesson(
        session=session, review_id=past.id, channel_id="C0TWO", text="Second", shared_by="U0A"
    )
    second.shared_at = utcnow() - timedelta(hours=1)
    # Re-sharing to the first channel updates that (older) card in place.
    save_lesson(
        session=session, review_id=past.id, channel_id="C0ONE", text="Again", shared_by="U0A"
    )
    [found] = _similar(session, _new(session))
    assert found.lesson == "Again"


def _statements(session: Session, run) -> int:
    counted: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        counted.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(counted)


def test_finding_similar_reviews_reads_the_same_few_times_however_many_match(
    session: Session,
) -> None:
    _past(session, "Checkout outage after Friday deploy", HAPPENED)
    new = _new(session)
    one = _statements(session, lambda: _similar(session, new))
    for n in range(8):
        _past(session, f"Checkout outage after Friday deploy {n}", HAPPENED)
    many = _new(session)
    assert len(_similar(session, many)) == SHOWN
    assert _statements(session, lambda: _similar(session, many)) == one


def test_the_newest_ids_that_fit_are_kept_oldest_first() -> None:
    assert newest_that_fit([1, 22, 333], width=9) == [1, 22, 333]  # "1,22,333" is 8
    assert newest_that_fit([1, 22, 333], width=6) == [22, 333]
    assert newest_that_fit([1, 22, 333], width=2) == []
    assert newest_that_fit([]) == []


def test_a_long_chain_is_escalated_with_its_newest_ids_stored(session: Session) -> None:
    previous: Review | None = None
    for n in range(200):
        past = _past(session, f"Checkout outage {n}", HAPPENED)
        past.repeat_of_id = previous.id if previous else None
        previous = past
    session.flush()
    assert previous is not None
    found = due_escalation(session=session, review=previous, threshold=3, window_days=90)
    assert found is not None
    assert len(found) == 200
    stored = session.exec(select(Escalation)).one().chain_ids
    assert len(stored) <= CHAIN_IDS_LENGTH
    ids = [int(i) for i in stored.split(",")]
    assert ids == [r.id for r in found][-len(ids) :]
    assert len(ids) > 100
