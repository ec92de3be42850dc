"""Whether a session has committed what someone typed or did, not only bookkeeping.

An apology after a failure says "it is stored" only when it is: a transaction that only
claimed an event or a view (processed_events), or cached what users.info said, stored
nothing of the user's. `input_stored(session)` is True once a commit of that session wrote
anything else.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, SessionTransaction
from sqlmodel import Session

from storage.models import ProcessedEvent, SlackUser

_WRITING = "aarbot_writes_input"
STORED = "aarbot_input_stored"
_BOOKKEEPING = (ProcessedEvent, SlackUser)


def input_stored(session: Session) -> bool:
    """Whether a commit of `session` stored something beyond bookkeeping."""
    return bool(session.info.get(STORED))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: object) -> None:
    if any(
        not isinstance(obj, _BOOKKEEPING)
        for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info[_WRITING] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        if mapper is None or mapper.class_ not in _BOOKKEEPING:
            state.session.info[_WRITING] = True


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    if session.info.pop(_WRITING, False):
        session.info[STORED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_unfinished(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (a commit took the flag already)
        session.info.pop(_WRITING, None)
