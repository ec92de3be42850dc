"""The export: every column of every row, answers word for word, filters, order, few queries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from storage.export import export_reviews
from storage.models import (
    Action,
    Answer,
    Lesson,
    Nudge,
    Participant,
    Review,
    Stage,
)

T0 = datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
TRICKY = [
    "Zoë said “it’s fine” 🚒 — naïve café, 日本語",
    "<!channel> heads up: <@U0BOB> & <#C0OPS|ops> > pager",
    "line one\nline two\n\n    indented line\ttab, trailing space ",
]


def _review(**changes) -> Review:
    values = {
        "team_id": "T0TEAM",
        "template": "incident",
        "kind": "incident",
        "title": "Checkout outage",
        "channel_id": "C0OPS",
        "facilitator_id": "U0ALICE",
        "created_at": T0,
        "updated_at": T0,
    }
    return Review(**{**values, **changes})


@pytest.fixture
def two_reviews(session: Session) -> tuple[int, int]:
    """A full review (participants, answers, actions with nudges, a lesson) and a bare one."""
    first = _review(
        stage=Stage.SHARED,
        question_index=3,
        message_ts="1714555815.000100",
        thread_ts="1714555815.000100",
        permalink="https://example.slack.com/archives/C0OPS/p1714555815000100",
        confidential=True,
        collect_perspectives=True,
        gap_type="process",
        closed_at=T0 + timedelta(hours=2),
    )
    session.add(first)
    session.flush()
    second = _review(
        title="Deploy freeze",
        created_at=T0 + timedelta(days=10),
        updated_at=T0 + timedelta(days=10),
        repeat_of_id=first.id,
    )
    session.add(second)
    session.flush()
    session.add_all(
        [
            Participant(review_id=first.id, user_id="U0ALICE", role="facilitator", added_at=T0),
            Participant(
                review_id=first.id, user_id="U0BOB", perspective_at=T0 + timedelta(minutes=5)
            ),
        ]
    )
    # Inserted out of order: the export orders by created_at, then id.
    session.add_all(
        [
            Answer(
                review_id=first.id,
                question_key="learned",
                author_id="U0BOB",
                text=TRICKY[2],
                source="private",
                created_at=T0 + timedelta(minutes=20),
                updated_at=T0 + timedelta(minutes=25),
            ),
            Answer(
                review_id=first.id,
                question_key="expected",
                author_id="U0ALICE",
                text=TRICKY[0],
                message_ts="1714555900.000200",
                created_at=T0 + timedelta(minutes=10),
                updated_at=T0 + timedelta(minutes=10),
            ),
            Answer(
                review_id=first.id,
                question_key="happened",
                author_id="U0BOB",
                text=TRICKY[1],
                message_ts="1714555960.000300",
                blame_flagged=True,
                created_at=T0 + timedelta(minutes=10),
                updated_at=T0 + timedelta(minutes=10),
            ),
        ]
    )
    action = Action(
        review_id=first.id,
        what="Add a canary for checkout deploys",
        owner_id="U0BOB",
        owner_tz="Europe/Berlin",
        review_date=date(2024, 6, 3),
        success_criterion="Next bad deploy is caught at 5% traffic",
        created_by="U0ALICE",
        specificity=3,
        created_at=T0,
        updated_at=T0,
    )
    dropped = Action(
        review_id=first.id,
        what="Rewrite checkout",
        owner_id="U0ALICE",
        review_date=date(2024, 7, 1),
        success_criterion="n/a",
        status="dropped",
        drop_reason="Too big; see canary",
        created_by="U0ALICE",
        created_at=T0,
        updated_at=T0,
    )
    session.add_all([action, dropped])
    session.flush()
    session.add_all(
        [
            Nudge(action_id=action.id, kind="before", due_at=datetime(2024, 6, 1, 7, tzinfo=UTC)),
            Nudge(
                action_id=action.id,
                kind="due",
                due_at=datetime(2024, 6, 3, 7, tzinfo=UTC),
                status="sent",
                attempts=1,
                slack_ts="1717398000.000100",
                sent_at=datetime(2024, 6, 3, 7, 0, 2, tzinfo=UTC),
            ),
            Lesson(
                review_id=first.id,
                text="Canaries catch what reviews miss 🐤",
                channel_id="C0LESSONS",
                message_ts="1714560000.000100",
                shared_by="U0ALICE",
                shared_at=T0 + timedelta(hours=3),
            ),
        ]
    )
    session.commit()
    return first.id, second.id


def _export(engine: Engine, **filters) -> dict:
    # A fresh session, so values come from the database rather than from objects in memory.
    with Session(engine) as session:
        return export_reviews(session=session, **filters)


def test_the_document_has_a_header_and_the_reviews_in_id_order(
    engine: Engine, two_reviews: tuple[int, int]
) -> None:
    document = _export(engine)
    assert document["format"] == "aarbot-export"
    assert document["version"] == 1
    assert datetime.fromisoformat(document["exported_at"]).tzinfo is not None
    assert [r["id"] for r in document["reviews"]] == list(two_reviews)


def test_every_column_of_every_table_is_exported(
    engine: Engine, two_reviews: tuple[int, int]
) -> None:
    review = _export(engine)["reviews"][0]

    def names(model: type) -> set[str]:
        return {column.name for column in model.__table__.columns}

    children = {"participants", "answers", "actions", "lessons", "repeat_checks", "escalations"}
    assert set(review) == names(Review) | children
    assert set(review["participants"][0]) == names(Participant) - {"id", "review_id"}
    assert set(review["answers"][0]) == names(Answer) - {"id", "review_id"}
    assert set(review["actions"][0]) == names(Action) | {"nudges"}
    assert set(review["actions"][0]["nudges"][0]) == names(Nudge)
    assert set(review["lessons"][0]) == names(Lesson)


def test_review_values_are_exported_exactly(engine: Engine, two_reviews: tuple[int, int]) -> None:
    first_id, second_id = two_reviews
    first, second = _export(engine)["reviews"]
    assert first["id"] == first_id
    assert first["title"] == "Checkout outage"
    assert first["stage"] == "shared"
    assert first["question_index"] == 3
    assert first["confidential"] is True
    assert first["attributed_perspectives"] is False
    assert first["gap_type"] == "process"
    assert first["source_permalink"] is None
    assert first["created_at"] == "2024-05-01T09:30:15.123456+00:00"
    assert first["closed_at"] == "2024-05-01T11:30:15.123456+00:00"
    assert second["repeat_of_id"] == first_id
    assert second["stage"] == "setup"
    assert second["closed_at"] is None
    assert second["participants"] == second["answers"] == second["actions"] == []
    assert second["lessons"] == []
    assert second["id"] == second_id


def test_participants_and_answers_are_exported_word_for_word_in_order(
    engine: Engine, two_reviews: tuple[int, int]
) -> None:
    review = _export(engine)["reviews"][0]
    assert review["participants"] == [
        {
            "user_id": "U0ALICE",
            "role": "facilitator",
            "perspective_at": None,
            "added_at": "2024-05-01T09:30:15.123456+00:00",
        },
        {
            "user_id": "U0BOB",
            "role": "participant",
            "perspective_at": "2024-05-01T09:35:15.123456+00:00",
            "added_at": review["participants"][1]["added_at"],
        },
    ]
    assert [a["text"] for a in review["answers"]] == TRICKY
    assert review["answers"][0] == {
        "question_key": "expected",
        "author_id": "U0ALICE",
        "text": TRICKY[0],
        "source": "thread",
        "message_ts": "1714555900.000200",
        "blame_flagged": False,
        "created_at": "2024-05-01T09:40:15.123456+00:00",
        "updated_at": "2024-05-01T09:40:15.123456+00:00",
    }
    assert review["answers"][1]["blame_flagged"] is True
    assert review["answers"][2]["source"] == "private"
    assert review["answers"][2]["message_ts"] is None
    assert review["answers"][2]["updated_at"] == "2024-05-01T09:55:15.123456+00:00"


def test_actions_carry_their_nudges_and_lessons_follow(
    engine: Engine, two_reviews: tuple[int, int]
) -> None:
    review = _export(engine)["reviews"][0]
    canary, dropped = review["actions"]
    assert canary["id"] < dropped["id"]
    assert canary["review_id"] == review["id"]
    assert canary["what"] == "Add a canary for checkout deploys"
    assert canary["review_date"] == "2024-06-03"
    assert canary["owner_tz"] == "Europe/Berlin"
    assert canary["specificity"] == 3
    assert canary["status"] == "open"
    assert canary["completed_at"] is None
    assert [(n["kind"], n["status"], n["due_at"]) for n in canary["nudges"]] == [
        ("before", "pending", "2024-06-01T07:00:00+00:00"),
        ("due", "sent", "2024-06-03T07:00:00+00:00"),
    ]
    assert canary["nudges"][1]["slack_ts"] == "1717398000.000100"
    assert canary["nudges"][1]["sent_at"] == "2024-06-03T07:00:02+00:00"
    assert all(n["action_id"] == canary["id"] for n in canary["nudges"])
    assert dropped["status"] == "dropped"
    assert dropped["drop_reason"] == "Too big; see canary"
    assert dropped["nudges"] == []
    [lesson] = review["lessons"]
    assert lesson["text"] == "Canaries catch what reviews miss 🐤"
    assert lesson["shared_at"] == "2024-05-01T12:30:15.123456+00:00"


def test_one_review_by_id(engine: Engine, two_reviews: tuple[int, int]) -> None:
    first_id, second_id = two_reviews
    [second] = _export(engine, review_id=second_id)["reviews"]
    assert second["title"] == "Deploy freeze"
    [first] = _export(engine, review_id=first_id)["reviews"]
    assert len(first["answers"]) == 3
    assert len(first["actions"][0]["nudges"]) == 2


def test_an_unknown_review_id_raises_lookup_error(
    engine: Engine, two_reviews: tuple[int, int]
) -> None:
    missing = max(two_reviews) + 100
    with pytest.raises(LookupError, match=f"no review with id {missing}"):
        _export(engine, review_id=missing)


def test_since_keeps_reviews_created_at_or_after_it(
    engine: Engine, two_reviews: tuple[int, int]
) -> None:
    first_id, second_id = two_reviews
    exactly = _export(engine, since=T0)["reviews"]
    assert [r["id"] for r in exactly] == [first_id, second_id]
    later = _export(engine, since=T0 + timedelta(microseconds=1))["reviews"]
    assert [r["id"] for r in later] == [second_id]
    # The children of a filtered-out review stay out too.
    assert later[0]["answers"] == later[0]["actions"] == []
    assert _export(engine, since=T0 + timedelta(days=30))["reviews"] == []
    # A review that exists but is older than `since` is filtered, not an error.
    assert _export(engine, review_id=first_id, since=T0 + timedelta(days=1))["reviews"] == []
    [second] = _export(engine, review_id=second_id, since=T0)["reviews"]
    assert second["id"] == second_id


def test_an_empty_database_exports_no_reviews(engine: Engine) -> None:
    assert _export(engine)["reviews"] == []


def test_the_document_survives_a_json_round_trip(
    engine: Engine, two_reviews: tuple[int, int]
) -> None:
    document = _export(engine)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    assert json.loads(text) == document
    assert TRICKY[0] in text


def test_rows_still_in_the_writing_session_export_as_plain_json_values(session: Session) -> None:
    # An object not yet reloaded holds what Python set: a StrEnum default, a non-UTC offset.
    review = _review(created_at=datetime(2024, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))))
    session.add(review)
    session.flush()
    [exported] = export_reviews(session=session)["reviews"]
    assert type(exported["stage"]) is str
    assert exported["stage"] == "setup"
    assert exported["created_at"] == "2024-05-01T09:30:00+00:00"


def test_children_are_loaded_with_one_query_per_table(
    engine: Engine, session: Session, two_reviews: tuple[int, int]
) -> None:
    first_id = two_reviews[0]
    for n in range(5):
        session.add(_review(title=f"More {n}"))
    session.flush()
    session.add(Answer(review_id=first_id, question_key="x", author_id="U0BOB", text="more"))
    session.commit()

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        document = _export(engine)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(document["reviews"]) == 7
    # reviews, participants, answers, actions, nudges, lessons, repeat checks, escalations
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 8, selects
