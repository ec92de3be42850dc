"""Claims with a lease: how a worker takes rows of a work table so no other worker takes them.

Any table with the columns `id`, `status`, `claimed_by`, `lease_expires_at` and `attempts`
works (nudges, outbox jobs). A claim sets the row's status, its owner and a lease; a worker
that dies leaves a lease that expires, and whatever `ready` says about expired leases lets the
row be claimed again. A worker finishes a row only while it still holds the claim, that is
while `claimed_by` is still its own name: a row claimed again by another worker after the
lease ran out is no longer this worker's to finish.

PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED picks the rows (concurrent workers never wait on
or take each other's), then UPDATE … WHERE id IN (…) AND ready RETURNING id takes them.
SQLite has no row locks and one writer at a time: the same UPDATE, with the pick as its
subquery, is one statement, so two workers can never take the same row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlmodel import Session, SQLModel


def claim(
    session: Session,
    model: type[SQLModel],
    *,
    ready: ColumnElement[bool],
    order_by: Sequence[ColumnElement],
    limit: int,
    owner: str,
    lease_until: datetime,
    claimed_status: str,
    values: dict[str, Any] | None = None,
) -> list[int]:
    """Atomically take up to `limit` rows matching `ready`, in `order_by` order.

    Each row taken gets status=claimed_status, claimed_by=owner, lease_expires_at=lease_until,
    attempts=attempts+1, plus `values`. Returns their ids in id order. The caller commits.
    """
    if limit <= 0:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    row_id = table.c.id
    pick = select(row_id).where(ready).order_by(*order_by).limit(limit)
    changes = {
        "status": claimed_status,
        "claimed_by": owner,
        "lease_expires_at": lease_until,
        "attempts": table.c.attempts + 1,
        **(values or {}),
    }
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.execute(pick.with_for_update(skip_locked=True)).scalars())
        if not ids:
            return []
        chosen = row_id.in_(ids)
    else:
        chosen = row_id.in_(pick.scalar_subquery())
    taken = session.execute(update(table).where(chosen, ready).values(**changes).returning(row_id))
    return sorted(taken.scalars())


def finish(session: Session, model: type[SQLModel], row_id: int, owner: str, **values: Any) -> bool:
    """Update the row only if `owner` still holds its claim; True if it did.

    Holding the claim means `claimed_by` is still `owner`. To give the claim up for good (done,
    failed, put back), pass claimed_by=None with the other values, so that a later finish by
    the same owner is refused too.
    """
    table = model.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table).where(table.c.id == row_id, table.c.claimed_by == owner).values(**values)
    )
    return bool(result.rowcount)
