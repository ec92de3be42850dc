"""Repeats: past reviews that may be the same failure, the checks made, and escalations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from storage.models import Action, Escalation, RepeatCheck, Review, Stage
from storage.search import ranked
from storage.visibility import listed_in_channel

# The width of escalations.chain_ids: a longer chain keeps its newest ids (flows/repeats.py).
CHAIN_IDS_LENGTH = Escalation.__table__.c.chain_ids.type.length


def _earlier(review: Review) -> ColumnElement[bool]:
    # Only earlier reviews of the same workspace, past setup; a confidential one only in its
    # own channel, where the people reading the new review's thread already saw it.
    return and_(
        col(Review.id) < review.id,
        Review.stage != Stage.SETUP,
        listed_in_channel(channel_id=review.channel_id),
    )


def candidates(
    *, session: Session, review: Review, terms: list[str], limit: int = 20
) -> Sequence[Review]:
    """Earlier reviews of the workspace sharing any of these words, best full-text match first."""
    # Any word may match: the similarity in flows/repeats.py decides what is really alike.
    found = ranked(
        session=session,
        team_id=review.team_id,
        terms=terms,
        where=_earlier(review),
        limit=limit,
        any_word=True,
    )
    ids = [review_id for review_id, _ in found]
    if not ids:
        return []
    by_id = {r.id: r for r in session.exec(select(Review).where(col(Review.id).in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def check_of(*, session: Session, review_id: int) -> RepeatCheck | None:
    """Whether (and with what result) this review was compared with past ones."""
    return session.get(RepeatCheck, review_id)


def record_check(*, session: Session, review_id: int, similar_ids: Sequence[int]) -> RepeatCheck:
    """Remember the comparison, so it runs (and posts) once; a second one raises IntegrityError."""
    check = RepeatCheck(review_id=review_id, similar_ids=",".join(str(i) for i in similar_ids))
    session.add(check)
    session.flush()
    return check


def offered(check: RepeatCheck | None) -> list[int]:
    """The ids of the similar reviews a check offered."""
    if check is None or not check.similar_ids:
        return []
    return [int(i) for i in check.similar_ids.split(",")]


def actions_of(*, session: Session, review_ids: Sequence[int]) -> Sequence[Action]:
    """The actions of these reviews, by review then age."""
    if not review_ids:
        return []
    return session.exec(
        select(Action)
        .where(col(Action.review_id).in_(list(review_ids)))
        .order_by(col(Action.review_id), col(Action.id))
    ).all()


def escalation_of(*, session: Session, review_id: int) -> Escalation | None:
    """The escalation this review triggered, if any."""
    return session.exec(select(Escalation).where(Escalation.review_id == review_id)).first()


def record_escalation(
    *, session: Session, team_id: str, review_id: int, chain_ids: Sequence[int]
) -> Escalation:
    """Remember that this review's chain of repeats was escalated."""
    escalation = Escalation(
        team_id=team_id, review_id=review_id, chain_ids=",".join(str(i) for i in chain_ids)
    )
    session.add(escalation)
    session.flush()
    return escalation
