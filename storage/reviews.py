"""Queries for reviews, their participants, answers and actions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Action, ActionStatus, Answer, AnswerSource, Participant, Review, Stage
from storage.types import utcnow

OPEN_STAGES = (Stage.SETUP, Stage.PERSPECTIVES, Stage.DISCUSSION, Stage.ACTIONS)


def create_review(
    *,
    session: Session,
    team_id: str,
    template: str,
    kind: str,
    title: str,
    channel_id: str,
    facilitator_id: str,
    participant_ids: Iterable[str] = (),
    confidential: bool = False,
    collect_perspectives: bool = False,
    attributed_perspectives: bool = False,
    source_permalink: str | None = None,
) -> Review:
    """Create a review (a draft until posted) with its facilitator and participants."""
    review = Review(
        team_id=team_id,
        template=template,
        kind=kind,
        title=title,
        channel_id=channel_id,
        facilitator_id=facilitator_id,
        confidential=confidential,
        collect_perspectives=collect_perspectives,
        attributed_perspectives=attributed_perspectives,
        source_permalink=source_permalink,
    )
    session.add(review)
    session.flush()
    people = dict.fromkeys([facilitator_id, *participant_ids])
    for user_id in people:
        role = "facilitator" if user_id == facilitator_id else "participant"
        session.add(Participant(review_id=review.id, user_id=user_id, role=role))
    session.flush()
    return review


def get_review(*, session: Session, review_id: int, for_update: bool = False) -> Review | None:
    """The review with this id, or None; `for_update` locks its row (SQLite: every transaction
    holds the database's write lock from its start, storage/db.py)."""
    query = select(Review).where(Review.id == review_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def get_review_by_thread(*, session: Session, channel_id: str, thread_ts: str) -> Review | None:
    """The review whose thread this is, or None."""
    return session.exec(
        select(Review).where(Review.channel_id == channel_id, Review.thread_ts == thread_ts)
    ).first()


def open_reviews(*, session: Session, team_id: str, channel_id: str) -> Sequence[Review]:
    """The channel's reviews that are posted and not yet closed, newest first."""
    return session.exec(
        select(Review)
        .where(
            Review.team_id == team_id,
            Review.channel_id == channel_id,
            col(Review.stage).in_(OPEN_STAGES),
            col(Review.message_ts).is_not(None),
        )
        .order_by(col(Review.created_at).desc(), col(Review.id).desc())
    ).all()


def _is_draft() -> tuple:
    # Submitted but never posted: still in setup, with no message in the channel.
    return Review.stage == Stage.SETUP, col(Review.message_ts).is_(None)


def drafts_waiting_in(*, session: Session, team_id: str, channel_id: str) -> Sequence[Review]:
    """Reviews submitted for a channel the app was not in yet, oldest first."""
    return session.exec(
        select(Review)
        .where(
            Review.team_id == team_id,
            Review.channel_id == channel_id,
            *_is_draft(),
        )
        .order_by(col(Review.id))
    ).all()


def drafts_to_retry(
    *, session: Session, created_after: datetime, created_before: datetime, limit: int
) -> list[int]:
    """Ids of drafts (never posted) created in that window, oldest first."""
    return list(
        session.exec(
            select(Review.id)
            .where(
                *_is_draft(),
                Review.created_at > created_after,
                Review.created_at <= created_before,
            )
            .order_by(col(Review.id))
            .limit(limit)
        ).all()
    )


def claim_draft(*, session: Session, review_id: int) -> Review | None:
    """The review if it is still a draft, its row locked until commit; else None.

    On PostgreSQL a draft another replica is posting right now is skipped, not waited for;
    on SQLite the transaction holds the database's write lock from its start, so a second
    poster waits and then finds it posted.
    """
    return session.exec(
        select(Review)
        .where(
            Review.id == review_id,
            *_is_draft(),
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()


def touch(review: Review) -> None:
    """Mark a review as changed now."""
    review.updated_at = utcnow()


def participants(*, session: Session, review_id: int) -> Sequence[Participant]:
    """Everyone taking part, facilitator first."""
    return session.exec(
        select(Participant)
        .where(Participant.review_id == review_id)
        .order_by(col(Participant.role) != "facilitator", col(Participant.id))
    ).all()


def add_participant(*, session: Session, review_id: int, user_id: str) -> Participant:
    """Add someone to a review (once); return their row."""
    existing = session.exec(
        select(Participant).where(
            Participant.review_id == review_id, Participant.user_id == user_id
        )
    ).first()
    if existing:
        return existing
    participant = Participant(review_id=review_id, user_id=user_id)
    session.add(participant)
    session.flush()
    return participant


def answers(
    *, session: Session, review_id: int, question_key: str | None = None
) -> Sequence[Answer]:
    """A review's answers in the order they were given."""
    query = select(Answer).where(Answer.review_id == review_id)
    if question_key is not None:
        query = query.where(Answer.question_key == question_key)
    return session.exec(query.order_by(col(Answer.created_at), col(Answer.id))).all()


def answer_counts(*, session: Session, review_id: int) -> dict[str, int]:
    """How many answers each question has."""
    rows = session.exec(
        select(Answer.question_key, func.count())
        .where(Answer.review_id == review_id)
        .group_by(Answer.question_key)
    ).all()
    return dict(rows)


def add_answer(
    *,
    session: Session,
    review_id: int,
    question_key: str,
    author_id: str,
    text: str,
    source: str,
    message_ts: str | None = None,
    blame_flagged: bool = False,
) -> Answer | None:
    """Store an answer; None when this Slack message was already stored (a retried event)."""
    answer = Answer(
        review_id=review_id,
        question_key=question_key,
        author_id=author_id,
        text=text,
        source=source,
        message_ts=message_ts,
        blame_flagged=blame_flagged,
    )
    try:
        with session.begin_nested():
            session.add(answer)
    except IntegrityError:
        return None
    return answer


def answer_for_message(*, session: Session, review_id: int, message_ts: str) -> Answer | None:
    """The answer stored from this Slack message, or None."""
    return session.exec(
        select(Answer).where(Answer.review_id == review_id, Answer.message_ts == message_ts)
    ).first()


def delete_answer_for_message(*, session: Session, review_id: int, message_ts: str) -> bool:
    """Remove the answer that came from a deleted Slack message; False if there was none."""
    result = session.exec(
        delete(Answer).where(Answer.review_id == review_id, Answer.message_ts == message_ts)
    )
    return bool(result.rowcount)


def actions(*, session: Session, review_id: int) -> Sequence[Action]:
    """A review's actions in the order they were added."""
    return session.exec(
        select(Action).where(Action.review_id == review_id).order_by(col(Action.id))
    ).all()


def get_action(*, session: Session, action_id: int, for_update: bool = False) -> Action | None:
    """The action with this id, or None; `for_update` locks its row (SQLite: every transaction
    holds the database's write lock from its start, storage/db.py)."""
    query = select(Action).where(Action.id == action_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def add_action(
    *,
    session: Session,
    review_id: int,
    what: str,
    owner_id: str,
    owner_tz: str,
    review_date: date,
    success_criterion: str,
    kind: str,
    specificity: int,
    created_by: str,
) -> Action:
    """Record a corrective action (or practice to keep)."""
    action = Action(
        review_id=review_id,
        what=what,
        owner_id=owner_id,
        owner_tz=owner_tz,
        review_date=review_date,
        success_criterion=success_criterion,
        kind=kind,
        specificity=specificity,
        created_by=created_by,
        status=ActionStatus.OPEN,
    )
    session.add(action)
    session.flush()
    return action


def answers_of(*, session: Session, review_ids: Iterable[int]) -> Sequence[Answer]:
    """The answers of these reviews, by review, each review's in the order they were given."""
    ids = set(review_ids)
    if not ids:
        return []
    return session.exec(
        select(Answer)
        .where(col(Answer.review_id).in_(ids))
        .order_by(col(Answer.review_id), col(Answer.created_at), col(Answer.id))
    ).all()


def delete_private_answers(*, session: Session, review_id: int, author_id: str) -> int:
    """Remove one person's private answers to a review; return how many there were."""
    result = session.exec(
        delete(Answer).where(
            Answer.review_id == review_id,
            Answer.author_id == author_id,
            Answer.source == AnswerSource.PRIVATE,
        )
    )
    return result.rowcount
