"""An export document loaded back into an empty database, ids and every column kept.

The inverse of `storage.export`: rows are read through the tables' own column lists and each
value is parsed back by its column's type, so a column added to a model is imported too.
Everything happens in the caller's transaction; any problem raises before it is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, func, inspect, text
from sqlmodel import Session, SQLModel, select

from storage.export import EXPORT_FORMAT, EXPORT_VERSION
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

# Nested children whose parent id comes from where they sit in the document.
_CHILD_KEYS = {
    Review: ("participants", "answers", "actions", "lessons", "repeat_checks", "escalations"),
    Action: ("nudges",),
}
# Children of a review with no children of their own: (key, model, whether the file has ids).
_NESTED = (
    ("participants", Participant, False),
    ("answers", Answer, False),
    ("lessons", Lesson, True),
    ("repeat_checks", RepeatCheck, False),
    ("escalations", Escalation, True),
)
_SEQUENCED = (Review, Participant, Answer, Action, Nudge, Lesson, Escalation)


class ImportRefusedError(ValueError):
    """The document cannot be imported here: malformed, or the database is not empty."""


@dataclass(frozen=True)
class ImportSummary:
    """How many rows of each kind were written."""

    reviews: int = 0
    participants: int = 0
    answers: int = 0
    actions: int = 0
    nudges: int = 0
    lessons: int = 0
    repeat_checks: int = 0
    escalations: int = 0


def import_reviews(*, session: Session, document: Any) -> ImportSummary:
    """Write an `aarbot-export` document into an empty database, keeping every id."""
    reviews = _check_envelope(document)
    if session.exec(select(Review.id).limit(1)).first() is not None:
        raise ImportRefusedError(
            "the database already holds reviews; import only into an empty one"
        )

    counts = dict.fromkeys(
        ("participants", "answers", "actions", "nudges", "lessons", "repeat_checks", "escalations"),
        0,
    )
    review_rows, links = [], {}
    for n, data in enumerate(reviews):
        place = f"reviews[{n}]"
        row = _row(Review, data, place, required_id=True)
        # A repeat may point at a later review: link after every review exists.
        links[row.id] = row.repeat_of_id
        row.repeat_of_id = None
        review_rows.append(row)
    _unique_ids(review_rows, "reviews")
    session.add_all(review_rows)
    session.flush()

    nudges: list[SQLModel] = []
    for n, (data, review) in enumerate(zip(reviews, review_rows, strict=True)):
        place = f"reviews[{n}]"
        children: list[SQLModel] = []
        for key, model, with_id in _NESTED:
            for i, item in enumerate(_list(data, key, place)):
                children.append(_row(model, item, f"{place}.{key}[{i}]", review.id, with_id))
        for i, item in enumerate(_list(data, "actions", place)):
            action_place = f"{place}.actions[{i}]"
            action = _row(Action, item, action_place, review.id, True)
            children.append(action)
            for j, nudge in enumerate(_list(item, "nudges", action_place)):
                nudges.append(_row(Nudge, nudge, f"{action_place}.nudges[{j}]", action.id, True))
        for child in children:
            counts[child.__tablename__] += 1
        session.add_all(children)
    # Without ORM relationships a flush does not order tables: actions go in before nudges.
    session.flush()
    counts["nudges"] = len(nudges)
    session.add_all(nudges)
    session.flush()

    for review in review_rows:
        target = links[review.id]
        if target is not None and target not in links:
            raise ImportRefusedError(
                f"review {review.id} is a repeat of review {target}, which is not in the file"
            )
        review.repeat_of_id = target
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        _reset_sequences(session)
    return ImportSummary(reviews=len(review_rows), **counts)


def _check_envelope(document: Any) -> list[Any]:
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ImportRefusedError(f'not an aarbot export: "format" must be "{EXPORT_FORMAT}"')
    if document.get("version") != EXPORT_VERSION:
        raise ImportRefusedError(
            f"export version {document.get('version')!r} is not supported; "
            f"this aarbot reads version {EXPORT_VERSION}"
        )
    reviews = document.get("reviews")
    if not isinstance(reviews, list):
        raise ImportRefusedError('"reviews" must be a list')
    return reviews


def _list(data: dict[str, Any], key: str, place: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ImportRefusedError(f"{place}.{key} must be a list")
    return value


def _unique_ids(rows: list[SQLModel], what: str) -> None:
    ids = [row.id for row in rows]  # type: ignore[attr-defined]
    if len(set(ids)) != len(ids):
        raise ImportRefusedError(f"two {what} share an id")


def _row(
    model: type[SQLModel],
    data: Any,
    place: str,
    parent_id: int | None = None,
    required_id: bool = False,
) -> Any:
    """A model instance from one exported object; parent ids are checked against the nesting."""
    if not isinstance(data, dict):
        raise ImportRefusedError(f"{place} must be an object")
    columns = {c.key: c for c in inspect(model).columns}
    parent_key = {Nudge: "action_id"}.get(model, "review_id")
    unknown = set(data) - set(columns) - set(_CHILD_KEYS.get(model, ()))
    if unknown:
        raise ImportRefusedError(f"{place} has unknown field(s): {', '.join(sorted(unknown))}")
    values = {
        key: _value(columns[key], data[key], f"{place}.{key}") for key in columns if key in data
    }
    if required_id and not isinstance(values.get("id"), int):
        raise ImportRefusedError(f"{place} has no id")
    if parent_id is not None:
        given = values.setdefault(parent_key, parent_id)
        if given != parent_id:
            raise ImportRefusedError(
                f"{place}.{parent_key} is {given}, but it sits under {parent_id}"
            )
    for key in columns.keys() - values.keys():
        field = model.model_fields.get(key)
        if key != "id" and (field is None or field.is_required()):
            raise ImportRefusedError(f"{place}.{key} is missing")
    return model(**values)


def _value(column: Column, value: Any, place: str) -> Any:
    """The Python value for `column` from its JSON form, by the column's type."""
    if value is None:
        if not column.nullable:
            raise ImportRefusedError(f"{place} cannot be null")
        return None
    # A TypeDecorator (our UTC timestamps) says `object`; the type it wraps knows better.
    kind = getattr(column.type, "impl_instance", column.type).python_type
    try:
        if kind is datetime:
            parsed = datetime.fromisoformat(value)
            if parsed.utcoffset() is None:
                raise ValueError("no UTC offset")
            return parsed
        if kind is date:
            return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ImportRefusedError(f"{place} is not an ISO-8601 {kind.__name__}: {exc}") from None
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ImportRefusedError(f"{place} must be {kind.__name__}, not {type(value).__name__}")
    return value


def _reset_sequences(session: Session) -> None:
    # Rows came with their ids, so the serial sequences never moved: start them after the max.
    for model in _SEQUENCED:
        table = model.__tablename__
        top = session.exec(select(func.max(model.id))).one()  # type: ignore[attr-defined]
        session.connection().execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :value, :called)"),
            {"table": table, "value": top or 1, "called": top is not None},
        )
