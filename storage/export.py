"""Reviews as one JSON-ready document: every column of every row, answers word for word.

Rows are serialised from the tables' own column lists, so a column added to a model is
exported without touching this module. Children are loaded with one `IN (subquery)` query
per table, whatever the number of reviews, and the subquery keeps clear of bind-parameter
limits that a literal list of ids would hit on a large export.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    Action,
    Answer,
    Escalation,
    Lesson,
    Nudge,
    Participant,
    RepeatCheck,
    Review,
)
from storage.types import utcnow

EXPORT_FORMAT = "aarbot-export"
EXPORT_VERSION = 1
# Participants and answers are nested in their review and nothing refers to their row ids.
_NESTED_ONLY = frozenset({"id", "review_id"})


def export_reviews(
    *, session: Session, review_id: int | None = None, since: datetime | None = None
) -> dict[str, Any]:
    """All reviews (or one, or those created at or after `since`) with everything they hold."""
    conditions = []
    if review_id is not None:
        conditions.append(col(Review.id) == review_id)
    if since is not None:
        conditions.append(col(Review.created_at) >= since)
    reviews = session.exec(select(Review).where(*conditions).order_by(col(Review.id))).all()
    if review_id is not None and not reviews and session.get(Review, review_id) is None:
        raise LookupError(f"no review with id {review_id}")
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _json_value(utcnow()),
        "reviews": [],
    }
    if not reviews:
        return document

    chosen = select(Review.id).where(*conditions)
    participants = _group(
        session.exec(
            select(Participant)
            .where(col(Participant.review_id).in_(chosen))
            .order_by(col(Participant.id))
        ),
        "review_id",
    )
    answers = _group(
        session.exec(
            select(Answer)
            .where(col(Answer.review_id).in_(chosen))
            .order_by(col(Answer.created_at), col(Answer.id))
        ),
        "review_id",
    )
    actions = _group(
        session.exec(
            select(Action).where(col(Action.review_id).in_(chosen)).order_by(col(Action.id))
        ),
        "review_id",
    )
    chosen_actions = select(Action.id).where(col(Action.review_id).in_(chosen))
    nudges = _group(
        session.exec(
            select(Nudge).where(col(Nudge.action_id).in_(chosen_actions)).order_by(col(Nudge.id))
        ),
        "action_id",
    )
    lessons = _group(
        session.exec(
            select(Lesson).where(col(Lesson.review_id).in_(chosen)).order_by(col(Lesson.id))
        ),
        "review_id",
    )
    checks = _group(
        session.exec(select(RepeatCheck).where(col(RepeatCheck.review_id).in_(chosen))),
        "review_id",
    )
    escalations = _group(
        session.exec(
            select(Escalation)
            .where(col(Escalation.review_id).in_(chosen))
            .order_by(col(Escalation.id))
        ),
        "review_id",
    )

    document["reviews"] = [
        {
            **_columns(review),
            "participants": [_columns(p, omit=_NESTED_ONLY) for p in participants[review.id]],
            "answers": [_columns(a, omit=_NESTED_ONLY) for a in answers[review.id]],
            "actions": [
                {**_columns(action), "nudges": [_columns(n) for n in nudges[action.id]]}
                for action in actions[review.id]
            ],
            "lessons": [_columns(lesson) for lesson in lessons[review.id]],
            "repeat_checks": [_columns(c, omit=_NESTED_ONLY) for c in checks[review.id]],
            "escalations": [_columns(e) for e in escalations[review.id]],
        }
        for review in reviews
    ]
    return document


def _group(rows: Iterable[SQLModel], key: str) -> defaultdict[Any, list[SQLModel]]:
    grouped: defaultdict[Any, list[SQLModel]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


def _columns(row: SQLModel, *, omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {
        attr.key: _json_value(getattr(row, attr.key))
        for attr in inspect(type(row)).column_attrs
        if attr.key not in omit
    }


def _json_value(value: object) -> Any:
    if isinstance(value, datetime):
        # Our columns hold UTC; a naive value can only come from SQLite, which is UTC by convention.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, str | int | float):
        return value
    # Fail loudly rather than emit something json.dumps cannot take: give the new type a form here.
    raise TypeError(f"no JSON form for a column value of type {type(value).__name__}")
