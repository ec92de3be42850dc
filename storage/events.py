"""Slack event ids already processed, so a retried delivery changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, SessionTransaction
from sqlmodel import Session

from storage.db import deferred
from storage.models import ProcessedEvent


def claim_event(*, session: Session, event_id: str, team_id: str) -> bool:
    """Record an event id; False when it was already recorded (a retry or a duplicate)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, team_id=team_id))
    except IntegrityError:
        return False
    return True


def prune_events(*, session: Session, before: datetime) -> int:
    """Forget event ids received before `before`; Slack stops retrying within the hour."""
    result = session.exec(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    return result.rowcount or 0


_PENDING = "aarbot_pending_claim"
_STORED = "aarbot_stored_more"


def already_claimed(engine: Engine, event_id: str) -> bool:
    """Whether `event_id` is recorded, read on a connection of its own that takes no lock
    (on SQLite, a plain BEGIN: storage.db.deferred), so a second request finds the first's
    claim without waiting for anyone's write lock."""
    with deferred(engine).connect() as connection:
        found = connection.execute(
            select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)
        ).first()
    return found is not None


def claim_for_change(*, session: Session, event_id: str, team_id: str) -> bool:
    """Record `event_id` for a change this transaction is about to make; False when another
    transaction recorded it first (the same change, already applied).

    The claim is the transaction's first write, so a second identical request waits for the
    first to end (SQLite: the write lock every transaction takes as it begins; PostgreSQL:
    the claimed row) and is then refused. A transaction that ends up storing nothing else
    (a modal answered with errors) drops its claim before it commits, so the same request
    may come again.
    """
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, team_id=team_id))
    except IntegrityError:
        return False
    session.info[_PENDING] = event_id
    session.info.pop(_STORED, None)
    return True


@event.listens_for(Session, "after_flush")
def _note_stored(session: Session, _context: object) -> None:
    if _PENDING in session.info and any(
        not isinstance(obj, ProcessedEvent)
        for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info[_STORED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if _PENDING in state.session.info and (state.is_insert or state.is_update or state.is_delete):
        state.session.info[_STORED] = True


@event.listens_for(Session, "before_commit")
def _drop_unused_claim(session: Session) -> None:
    event_id = session.info.get(_PENDING)
    if event_id is None:
        return
    session.flush()  # whatever is still pending counts as stored
    if not session.info.get(_STORED):
        session.exec(delete(ProcessedEvent).where(ProcessedEvent.event_id == event_id))


@event.listens_for(Session, "after_transaction_end")
def _forget_claim(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the claim ends with the whole transaction, kept or not
        session.info.pop(_PENDING, None)
        session.info.pop(_STORED, None)
