"""Repeat candidates: earlier reviews of the same workspace that share words with a new one."""

from __future__ import annotations

from sqlmodel import Session

from storage import repeats
from storage import reviews as store
from storage.models import AnswerSource, Review, Stage

SMALL = "T0SMALL"
BIG = "T0BIG"


def _review(
    session: Session,
    title: str,
    happened: str = "",
    *,
    team_id: str = SMALL,
    channel_id: str = "C0GENERAL",
    confidential: bool = False,
    stage: Stage = Stage.CLOSED,
) -> Review:
    review = store.create_review(
        session=session,
        team_id=team_id,
        template="miss",
        kind="miss",
        title=title,
        channel_id=channel_id,
        facilitator_id="U0ALICE",
        confidential=confidential,
    )
    review.stage = stage
    if happened:
        store.add_answer(
            session=session,
            review_id=review.id,
            question_key="actual",
            author_id="U0ALICE",
            text=happened,
            source=AnswerSource.THREAD,
        )
    session.flush()
    return review


def test_a_small_workspace_keeps_its_candidate_beside_a_big_one(session: Session) -> None:
    # One long review in the small workspace mentions the word once; the big workspace has
    # many short ones about it, all ranked above it across the whole database.
    mine = _review(
        session,
        "Weekly report late",
        "The export job waited on the warehouse, then the mail server queued the report "
        "for an hour while everyone assumed it had gone out; a checkout graph was missing.",
    )
    for n in range(60):
        _review(session, f"Checkout checkout outage {n}", "checkout down", team_id=BIG)
    new = _review(session, "Checkout graph missing", stage=Stage.DISCUSSION)
    found = repeats.candidates(session=session, review=new, terms=["checkout"], limit=2)
    assert [r.id for r in found] == [mine.id]


def test_candidates_are_earlier_past_setup_and_of_this_workspace(session: Session) -> None:
    earlier = _review(session, "Checkout outage", "checkout down")
    _review(session, "Checkout draft", "checkout down", stage=Stage.SETUP)
    _review(session, "Checkout outage elsewhere", "checkout down", team_id=BIG)
    new = _review(session, "Checkout outage again", stage=Stage.DISCUSSION)
    _review(session, "Checkout outage later", "checkout down")
    found = repeats.candidates(session=session, review=new, terms=["checkout"])
    assert [r.id for r in found] == [earlier.id]
