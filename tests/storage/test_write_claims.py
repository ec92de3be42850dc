"""Two writers of one review take turns: the second waits and sees the first one's change."""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlmodel import Session

from storage import reviews as store
from storage.db import deferred, session_scope


def _review(engine: Engine) -> int:
    with session_scope(engine) as session:
        review = store.create_review(
            session=session,
            team_id="T0TEAM",
            template="miss",
            kind="miss",
            title="Checkout outage",
            channel_id="C0GENERAL",
            facilitator_id="U0ALICE",
        )
        return review.id


def test_a_second_writer_waits_for_the_first_and_builds_on_its_change(
    engine: Engine, session: Session
) -> None:
    review_id = _review(engine)
    first_has_it, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            first_has_it.wait(5)
            second_started.set()
            with session_scope(engine) as mine:
                review = store.get_review(session=mine, review_id=review_id, for_update=True)
                review.question_index += 1  # "Next", clicked twice at once
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    worker = threading.Thread(target=second)
    worker.start()
    with session_scope(engine) as mine:
        review = store.get_review(session=mine, review_id=review_id, for_update=True)
        first_has_it.set()
        second_started.wait(5)
        worker.join(0.3)  # the second writer is waiting for this transaction, not done
        assert worker.is_alive()
        review.question_index += 1
    worker.join(10)
    assert errors == []
    session.rollback()
    assert store.get_review(session=session, review_id=review_id).question_index == 2


def test_every_transaction_takes_the_write_lock_but_a_deferred_reader_blocks_no_writer(
    engine: Engine,
) -> None:
    review_id = _review(engine)
    done = {}

    def write(name: str) -> None:
        with session_scope(engine) as mine:
            store.get_review(session=mine, review_id=review_id).question_index += 1
        done[name] = True

    for reader, blocks in ((engine, True), (deferred(engine), False)):
        with Session(reader) as reading:
            assert store.get_review(session=reading, review_id=review_id) is not None
            writer = threading.Thread(target=write, args=(str(blocks),))
            writer.start()
            writer.join(0.5)
            # On SQLite a plain session holds the write lock from its first read (BEGIN
            # IMMEDIATE); PostgreSQL's readers never block writers.
            waits = blocks and engine.dialect.name == "sqlite"
            assert writer.is_alive() is waits
        writer.join(10)
        assert done[str(blocks)]
