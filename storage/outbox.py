"""The outbox: the work after each ack, as rows written in the transaction the ack follows.

A listener adds a job in its own transaction, so the job exists exactly when what the user did
was stored, and both exist before Slack gets its ack. Workers (bot/jobs/) claim ready jobs
with a lease, run them, and delete them when done. A worker that dies leaves a lease that
expires, and another runs the job again, so every job must be safe to run twice: what it
posted is recorded on its row (`posts`), and a retry finds it there.

The jobs of one lane (a review's thread, a conversation) run one at a time, oldest first: a
job is not ready while an older job of its lane is still pending or running.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage import claims
from storage.models import Job, JobStatus
from storage.types import utcnow

# Statuses as literals in SQL, so the planner can use ix_jobs_ready for each branch.
_WAITING = (JobStatus.PENDING.value, JobStatus.RUNNING.value)
# A Core insert run on the session's connection: the ack path builds no ORM statement.
_INSERT = insert(Job.__table__)  # type: ignore[arg-type]


def enqueue(
    session: Session,
    *,
    name: str,
    payload: dict[str, Any],
    team_id: str = "",
    lane: str | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
) -> None:
    """Add a job to this session's transaction; it is visible to workers once that commits."""
    now = now or utcnow()
    session.connection().execute(
        _INSERT,
        {
            "name": name,
            "team_id": team_id,
            "lane": lane[:80] if lane else None,
            "payload": json.dumps(payload, separators=(",", ":")),
            "posts": "{}",
            "request_id": request_id,
            "status": JobStatus.PENDING.value,
            "attempts": 0,
            "run_after": now,
            "created_at": now,
        },
    )


def _ready(now: datetime):
    older = aliased(Job)
    lane_busy = exists(
        select(older.id).where(
            older.lane == Job.lane, older.id < Job.id, col(older.status).in_(_WAITING)
        )
    )
    due = or_(
        and_(Job.status == JobStatus.PENDING.value, col(Job.run_after) <= now),
        and_(Job.status == JobStatus.RUNNING.value, col(Job.lease_expires_at) <= now),
    )
    return and_(due, ~lane_busy)


def claim(
    session: Session, *, owner: str, lease: timedelta, limit: int = 1, now: datetime | None = None
) -> list[Job]:
    """Take up to `limit` ready jobs for `owner`, oldest first, and return them.

    PostgreSQL skips rows another worker is claiming (FOR UPDATE SKIP LOCKED); on SQLite the
    transaction holds the write lock from its start (storage/db.py), so claims take turns.
    """
    now = now or utcnow()
    ids = claims.claim(
        session,
        Job,
        ready=_ready(now),
        order_by=[col(Job.id)],
        limit=limit,
        owner=owner,
        lease_until=now + lease,
        claimed_status=JobStatus.RUNNING.value,
    )
    if not ids:
        return []
    return list(session.execute(select(Job).where(col(Job.id).in_(ids)).order_by(Job.id)).scalars())


def release_dead(session: Session, *, host: str, alive: Callable[[int], bool]) -> int:
    """Free the jobs claimed by processes of `host` that are no longer `alive` (by pid), so a
    restart on the same machine runs them now instead of when their leases end."""
    owners = session.execute(
        select(Job.claimed_by).where(Job.status == JobStatus.RUNNING.value).distinct()
    ).scalars()
    dead = []
    for owner in owners:
        name, _, rest = (owner or "").partition(":")
        pid = rest.partition(":")[0]
        if name == host and pid.isdigit() and not alive(int(pid)):
            dead.append(owner)
    if not dead:
        return 0
    result = session.execute(
        update(Job)
        .where(Job.status == JobStatus.RUNNING.value, col(Job.claimed_by).in_(dead))
        .values(lease_expires_at=utcnow())
    )
    return result.rowcount or 0


def renew(session: Session, held: dict[int, str], *, until: datetime) -> None:
    """Extend the leases of the jobs in `held` (job id -> owner) their owners still hold."""
    for job_id, owner in held.items():
        session.execute(update(Job).where(_mine(job_id, owner)).values(lease_expires_at=until))


def _mine(job_id: int, owner: str):
    return and_(Job.id == job_id, Job.claimed_by == owner, Job.status == JobStatus.RUNNING.value)


def finish(session: Session, *, job_id: int, owner: str) -> bool:
    """The job is done: delete it, if `owner` still holds it."""
    return bool(session.execute(delete(Job).where(_mine(job_id, owner))).rowcount)


def retry_later(
    session: Session, *, job_id: int, owner: str, error: str, at: datetime, final: bool
) -> bool:
    """The attempt failed: run it again at `at`, or, when `final`, keep it as failed."""
    values: dict[str, Any] = {
        "status": JobStatus.FAILED.value if final else JobStatus.PENDING.value,
        "last_error": error[:500],
        "lease_expires_at": None,
        "claimed_by": None,
        "run_after": at,
    }
    return bool(session.execute(update(Job).where(_mine(job_id, owner)).values(**values)).rowcount)


def record_post(session: Session, *, job_id: int, key: str, message: dict[str, Any]) -> None:
    """Remember that the job posted `message` (channel and ts) as its post number `key`."""
    row = session.get(Job, job_id)
    if row is None:
        return
    posts = json.loads(row.posts or "{}")
    posts[key] = message
    row.posts = json.dumps(posts, separators=(",", ":"))
    session.add(row)


@dataclass(frozen=True)
class OutboxReport:
    """What `aarbot jobs status`, `aarbot doctor` and /readyz say about the outbox."""

    pending: int
    running: int
    failed: int
    oldest_waiting_seconds: float | None
    failed_jobs: list[tuple[int, str, int, str | None]]


def report(
    session: Session, *, now: datetime | None = None, failed_limit: int = 20
) -> OutboxReport:
    """Counts by status, the age of the oldest job still waiting, and the failed jobs."""
    now = now or utcnow()
    counts = dict(
        session.execute(select(Job.status, func.count()).group_by(Job.status)).all()  # type: ignore[arg-type]
    )
    oldest = session.execute(
        select(func.min(Job.created_at)).where(col(Job.status).in_(_WAITING))
    ).scalar()
    failed = session.execute(
        select(Job.id, Job.name, Job.attempts, Job.last_error)
        .where(Job.status == JobStatus.FAILED.value)
        .order_by(Job.id)
        .limit(failed_limit)
    ).all()
    return OutboxReport(
        pending=counts.get(JobStatus.PENDING.value, 0),
        running=counts.get(JobStatus.RUNNING.value, 0),
        failed=counts.get(JobStatus.FAILED.value, 0),
        oldest_waiting_seconds=(now - oldest).total_seconds() if oldest else None,
        failed_jobs=[tuple(row) for row in failed],  # type: ignore[misc]
    )


def oldest_waiting_age(session: Session, *, now: datetime | None = None) -> float | None:
    """Seconds since the oldest job still waiting (pending or running) was written, or None."""
    now = now or utcnow()
    oldest = session.execute(
        select(func.min(Job.created_at)).where(col(Job.status).in_(_WAITING))
    ).scalar()
    return (now - oldest).total_seconds() if oldest else None


def retry_failed(session: Session) -> int:
    """Give every failed job another round of attempts; returns how many."""
    result = session.execute(
        update(Job)
        .where(Job.status == JobStatus.FAILED.value)
        .values(status=JobStatus.PENDING.value, attempts=0, run_after=utcnow(), last_error=None)
    )
    return result.rowcount or 0
