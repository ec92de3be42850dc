"""The import: an export loaded into a fresh database exports again unchanged, or not at all."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from storage import reviews as store
from storage.db import make_engine, upgrade
from storage.export import export_reviews
from storage.importer import ImportRefusedError, import_reviews
from storage.models import Action, Escalation, Lesson, RepeatCheck, Review, Stage
from storage.nudges import replace_plan
from tests.database import fresh_postgres_schema, postgres_url

T0 = datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
WORDS = [
    "Zoë said “it’s fine” 🚒 — naïve café, 日本語",
    '<!channel> heads up: <@U0BOB> & <#C0OPS|ops> | pipes, "quotes", commas',
    "line one\nline two\n\n    indented\ttab, trailing space ",
]


def rich_database(session: Session) -> list[int]:
    """Three reviews built through storage: answers, actions with nudges, a lesson, a repeat."""
    first = store.create_review(
        session=session,
        team_id="T0TEAM",
        template="miss",
        kind="miss",
        title="Checkout | outage",
        channel_id="C0OPS",
        facilitator_id="U0ALICE",
        participant_ids=["U0BOB", "U0CAROL"],
        confidential=True,
        collect_perspectives=True,
    )
    first.stage, first.gap_type, first.closed_at = Stage.SHARED, "process", T0
    first.thread_ts = first.message_ts = "1714555815.000100"
    for n, (key, words) in enumerate(zip(["expected", "actual", "lesson"], WORDS, strict=True)):
        store.add_answer(
            session=session,
            review_id=first.id,
            question_key=key,
            author_id="U0BOB" if n % 2 else "U0CAROL",
            text=words,
            source="thread",
            message_ts=f"17145559{n}0.000200",
            blame_flagged=n == 1,
        )
    action = store.add_action(
        session=session,
        review_id=first.id,
        what='Add a canary, "5%" first',
        owner_id="U0BOB",
        owner_tz="Europe/Berlin",
        review_date=date(2024, 6, 3),
        success_criterion=WORDS[2],
        kind="fix",
        specificity=3,
        created_by="U0ALICE",
    )
    replace_plan(
        session=session,
        action_id=action.id,
        planned=[("before", T0 + timedelta(days=30)), ("due", T0 + timedelta(days=33))],
    )
    done = store.add_action(
        session=session,
        review_id=first.id,
        what="Page the owner",
        owner_id="U0CAROL",
        owner_tz="UTC",
        review_date=date(2024, 5, 20),
        success_criterion="Owner paged within 5 minutes",
        kind="keep",
        specificity=2,
        created_by="U0ALICE",
    )
    done.status, done.outcome, done.outcome_summary = "done", "met", WORDS[0]
    done.completed_at = T0 + timedelta(days=10)
    session.add(
        Lesson(review_id=first.id, text=WORDS[1], channel_id="C0LESSONS", shared_by="U0ALICE")
    )
    second = store.create_review(
        session=session,
        team_id="T0TEAM",
        template="postmortem",
        kind="postmortem",
        title="Checkout again",
        channel_id="C0OPS",
        facilitator_id="U0BOB",
    )
    second.repeat_of_id = first.id
    session.flush()
    session.add(RepeatCheck(review_id=second.id, similar_ids=str(first.id), message_ts="1.2"))
    session.add(
        Escalation(
            team_id="T0TEAM",
            review_id=second.id,
            chain_ids=f"{first.id},{second.id}",
            channel_id="C0LEADS",
            message_ts="3.4",
        )
    )
    bare = store.create_review(
        session=session,
        team_id="T0TEAM",
        template="gone",
        kind="miss",
        title="Bare",
        channel_id="C0DEV",
        facilitator_id="U0CAROL",
    )
    session.commit()
    return [first.id, second.id, bare.id]


@pytest.fixture
def other_engine(tmp_path: Path) -> Iterator[Engine]:
    """A second migrated, empty database on the same backend as the test run."""
    pg = postgres_url()
    schema = f"aarbot_import_{os.getpid()}"
    url = fresh_postgres_schema(pg, schema) if pg else f"sqlite:///{tmp_path / 'other.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    if pg:
        admin = make_engine(pg)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _export(engine: Engine) -> dict:
    with Session(engine) as session:
        document = export_reviews(session=session)
    document.pop("exported_at")
    return document


def _import(engine: Engine, document: dict):
    with Session(engine) as session:
        summary = import_reviews(session=session, document=document)
        session.commit()
    return summary


def test_export_then_import_then_export_gives_the_same_document(
    engine: Engine, session: Session, other_engine: Engine
) -> None:
    rich_database(session)
    before = _export(engine)
    summary = _import(other_engine, copy.deepcopy(before))
    assert (summary.reviews, summary.actions, summary.nudges, summary.lessons) == (3, 2, 2, 1)
    assert (summary.participants, summary.answers) == (5, 3)
    assert (summary.repeat_checks, summary.escalations) == (1, 1)
    assert _export(other_engine) == before


def test_new_rows_after_an_import_do_not_collide_with_imported_ids(
    engine: Engine, session: Session, other_engine: Engine
) -> None:
    ids = rich_database(session)
    _import(other_engine, _export(engine))
    with Session(other_engine) as other:
        review = store.create_review(
            session=other,
            team_id="T0TEAM",
            template="miss",
            kind="miss",
            title="After the move",
            channel_id="C0OPS",
            facilitator_id="U0ALICE",
        )
        action = store.add_action(
            session=other,
            review_id=review.id,
            what="x",
            owner_id="U0BOB",
            owner_tz="UTC",
            review_date=date(2024, 6, 3),
            success_criterion="y",
            kind="fix",
            specificity=0,
            created_by="U0ALICE",
        )
        other.commit()
        assert review.id > max(ids)
        assert action.id > max(a.id for a in other.exec(select(Action)).all() if a != action)


def test_importing_into_a_database_with_reviews_is_refused(
    engine: Engine, session: Session
) -> None:
    rich_database(session)
    document = _export(engine)
    with Session(engine) as other, pytest.raises(ImportRefusedError, match="already holds"):
        import_reviews(session=other, document=document)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d.update(format="something-else"), "not an aarbot export"),
        (lambda d: d.update(version=2), "version 2"),
        (lambda d: d.update(reviews={}), "must be a list"),
        (lambda d: d["reviews"][0].update(created_at="yesterday"), "reviews[0].created_at"),
        (lambda d: d["reviews"][0].update(created_at="2024-05-01T09:30:00"), "UTC offset"),
        (lambda d: d["reviews"][0].update(confidential="yes"), "must be bool"),
        (lambda d: d["reviews"][0].pop("title"), "reviews[0].title is missing"),
        (lambda d: d["reviews"][0].update(colour="red"), "unknown field"),
        (lambda d: d["reviews"][0]["actions"][0].update(review_id=999), "sits under"),
        (lambda d: d["reviews"][1].update(id=d["reviews"][0]["id"]), "share an id"),
        (lambda d: d["reviews"].pop(0), "not in the file"),
    ],
)
def test_a_malformed_document_writes_nothing(
    engine: Engine, session: Session, other_engine: Engine, change, complaint: str
) -> None:
    rich_database(session)
    document = _export(engine)
    change(document)
    with Session(other_engine) as other:
        with pytest.raises(ImportRefusedError, match=complaint.replace("[", r"\[")):
            import_reviews(session=other, document=document)
        other.rollback()
    with Session(other_engine) as other:
        assert other.exec(select(Review)).all() == []
