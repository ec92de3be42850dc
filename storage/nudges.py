"""Planned nudges: the database, not the scheduler, decides what is due and what was sent.

A sweep claims due rows atomically with a lease (PostgreSQL adds FOR UPDATE SKIP LOCKED, so
concurrent sweepers never wait on or take each other's rows), sends, then marks them sent
only if it still holds the claim. A process that dies after claiming leaves a lease that
expires, and the next sweep takes the row again.

Two clocks meet here. `now` decides what is due (and when a backed-off row may go again);
a sweep may run "as if" at another time. A claim's lease is taken and judged on the real
clock (`lease_now`), because it guards against other processes sending the row meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from storage import claims
from storage.models import Action, Nudge, NudgeKind, NudgeStatus, Review


def _due(now: datetime, lease_now: datetime):
    waiting = and_(
        Nudge.status == NudgeStatus.PENDING,
        col(Nudge.due_at) <= now,
        # a pending row may carry a "not before" from a failed attempt's backoff
        or_(col(Nudge.lease_expires_at).is_(None), col(Nudge.lease_expires_at) <= now),
    )
    abandoned = and_(col(Nudge.status).in_(HELD), col(Nudge.lease_expires_at) <= lease_now)
    return or_(waiting, abandoned)


# A sweeper holds these with a lease; once it runs out, another sweeper takes the row.
HELD = (NudgeStatus.CLAIMED, NudgeStatus.SENDING)
# What a nudge of a later kind makes of an earlier one due at the same time: a sweep that
# runs late finds an action's reminder, due and overdue nudges all due, and sends only the
# most relevant. A kind not listed outranks nothing.
RANK = {NudgeKind.REMINDER: 0, NudgeKind.DUE: 1, NudgeKind.OVERDUE: 2, NudgeKind.ESCALATION: 3}
# The nudges that stand for "the owner was told": sent, or on their way.
LIVE = (NudgeStatus.PENDING, *HELD, NudgeStatus.SENT)


def replace_plan(
    *, session: Session, action_id: int, planned: Iterable[tuple[str, datetime]]
) -> None:
    """Make the action's pending nudges exactly `planned`; sent ones stay as history."""
    wanted = set(planned)
    existing = session.exec(select(Nudge).where(Nudge.action_id == action_id)).all()
    have = {(n.kind, n.due_at): n for n in existing}
    for key, nudge in have.items():
        if nudge.status == NudgeStatus.PENDING and key not in wanted:
            nudge.status = NudgeStatus.CANCELLED
        elif nudge.status == NudgeStatus.CANCELLED and key in wanted:
            nudge.status, nudge.attempts, nudge.lease_expires_at = NudgeStatus.PENDING, 0, None
            nudge.channel_id = None
    for kind, due_at in wanted - have.keys():
        session.add(Nudge(action_id=action_id, kind=kind, due_at=due_at))
    session.flush()


def delivered_kinds(
    *, session: Session, action_id: int, among: Iterable[tuple[str, datetime]]
) -> set[str]:
    """The kinds whose nudge at one of the (kind, due_at) `among` is sent or being sent."""
    keys = set(among)
    rows = session.exec(
        select(Nudge.kind, Nudge.due_at).where(
            Nudge.action_id == action_id,
            col(Nudge.status).in_([NudgeStatus.SENT, *HELD]),
        )
    ).all()
    return {kind for kind, due_at in rows if (kind, due_at) in keys}


def cancel_pending(*, session: Session, action_id: int) -> int:
    """Cancel whatever has not been sent for this action (done, dropped, rescheduled)."""
    result = session.exec(
        update(Nudge)
        .where(
            Nudge.action_id == action_id,
            col(Nudge.status).in_([NudgeStatus.PENDING, *HELD]),
        )
        .values(status=NudgeStatus.CANCELLED, claimed_by=None)
    )
    return result.rowcount or 0


def due_ids(*, now: datetime, limit: int, lease_now: datetime | None = None):
    """The query a sweep runs: ids of nudges due at `now`, oldest first (the bench EXPLAINs it).

    A claimed row counts as abandoned once its lease ended before `lease_now` (default: now).
    """
    due = _due(now, lease_now or now)
    return select(Nudge.id).where(due).order_by(col(Nudge.due_at), col(Nudge.id)).limit(limit)


def peek_due(
    *, session: Session, now: datetime, limit: int = 50, lease_now: datetime | None = None
) -> list[tuple[Nudge, Action, Review]]:
    """What a sweep at `now` would claim, without claiming it (for --dry-run)."""
    ids = session.exec(due_ids(now=now, limit=limit, lease_now=lease_now)).all()
    return claimed_with_context(session=session, nudge_ids=ids)


def claim_due(
    *,
    session: Session,
    now: datetime,
    worker: str,
    lease: timedelta,
    limit: int = 50,
    lease_now: datetime | None = None,
) -> list[int]:
    """Atomically claim up to `limit` nudges due at `now` for `worker`; return their ids.

    The lease runs from `lease_now`, the real clock at this claim (default: now).
    """
    lease_now = lease_now or now
    return claims.claim(
        session,
        Nudge,
        ready=_due(now, lease_now),
        order_by=[col(Nudge.due_at), col(Nudge.id)],
        limit=limit,
        owner=worker,
        lease_until=lease_now + lease,
        claimed_status=NudgeStatus.CLAIMED,
    )


def claimed_with_context(
    *, session: Session, nudge_ids: Sequence[int]
) -> list[tuple[Nudge, Action, Review]]:
    """The claimed nudges with their actions and reviews, in due order."""
    if not nudge_ids:
        return []
    rows = session.exec(
        select(Nudge, Action, Review)
        .join(Action, col(Action.id) == Nudge.action_id)
        .join(Review, col(Review.id) == Action.review_id)
        .where(col(Nudge.id).in_(nudge_ids))
        .order_by(col(Nudge.due_at), col(Nudge.id))
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _finish(session: Session, nudge_id: int, worker: str, **values: object) -> bool:
    return claims.finish(session, Nudge, nudge_id, worker, **values)


def mark_sent(
    *, session: Session, nudge_id: int, worker: str, channel_id: str, ts: str, now: datetime
) -> bool:
    """Record the Slack ts of a sent nudge; False if this worker no longer held the claim."""
    return _finish(
        session,
        nudge_id,
        worker,
        status=NudgeStatus.SENT,
        claimed_by=None,
        channel_id=channel_id,
        slack_ts=ts,
        sent_at=now,
        lease_expires_at=None,
        last_error=None,
    )


def outranked(*, session: Session, nudge: Nudge, now: datetime) -> bool:
    """True when a more relevant nudge of the same action is due at `now` (or already sent).

    Overdue beats due, due beats the reminder, the escalation beats them all: a sweep that
    finds several of an action's nudges due sends only the latest kind. Only a nudge planned
    for the same moment or later counts: after a reschedule, the old plan's sent nudges do
    not silence the new plan's reminder.
    """
    rank = RANK.get(nudge.kind)
    if rank is None:
        return False
    later = [kind for kind, r in RANK.items() if r > rank]
    found = session.exec(
        select(Nudge.id)
        .where(
            Nudge.action_id == nudge.action_id,
            col(Nudge.kind).in_(later),
            col(Nudge.due_at) <= now,
            col(Nudge.due_at) >= nudge.due_at,
            col(Nudge.status).in_(LIVE),
        )
        .limit(1)
    ).first()
    return found is not None


def mark_superseded(*, session: Session, nudge_id: int, worker: str) -> bool:
    """Give up a claimed nudge because a more relevant one of its action goes instead."""
    return _finish(
        session,
        nudge_id,
        worker,
        status=NudgeStatus.SUPERSEDED,
        lease_expires_at=None,
        claimed_by=None,
    )


def mark_sending(
    *, session: Session, nudge_id: int, worker: str, channel_id: str, lease_until: datetime
) -> bool:
    """Say, before posting, that this worker is posting the nudge to `channel_id`.

    From now until it is marked sent, Slack may have the message: a sweeper that takes the
    row after this lease (or after a failure that may have posted) looks in that channel for
    it first (the post carries the nudge id in its metadata). False if the claim was lost.
    """
    return _finish(
        session,
        nudge_id,
        worker,
        status=NudgeStatus.SENDING,
        channel_id=channel_id,
        lease_expires_at=lease_until,
    )


def mark_cancelled(*, session: Session, nudge_id: int, worker: str) -> bool:
    """Drop a claimed nudge whose action is no longer open."""
    return _finish(
        session,
        nudge_id,
        worker,
        status=NudgeStatus.CANCELLED,
        lease_expires_at=None,
        claimed_by=None,
    )


def release(
    *, session: Session, nudge_id: int, worker: str, error: str, not_before: datetime
) -> bool:
    """Give a claimed nudge back untried, its attempt uncounted, to go again from not_before."""
    return _finish(
        session,
        nudge_id,
        worker,
        status=NudgeStatus.PENDING,
        claimed_by=None,
        attempts=Nudge.attempts - 1,
        last_error=error[:500],
        lease_expires_at=not_before,
    )


def mark_attempt_failed(
    *,
    session: Session,
    nudge_id: int,
    worker: str,
    error: str,
    now: datetime,
    retry_in: timedelta,
    max_attempts: int,
    maybe_posted: bool = False,
) -> str:
    """Put a failed nudge back for a later retry, or mark it failed after the last attempt.

    `maybe_posted`: the attempt failed without Slack's answer (a timeout, a dropped
    connection), so the post may have landed; the channel it went to is kept, and the retry
    looks there first. Otherwise the channel is forgotten: nothing was posted.
    """
    nudge = session.get(Nudge, nudge_id)
    if nudge is None:
        return NudgeStatus.CANCELLED
    final = nudge.attempts >= max_attempts
    status = NudgeStatus.FAILED if final else NudgeStatus.PENDING
    values: dict[str, object] = {} if maybe_posted else {"channel_id": None}
    _finish(
        session,
        nudge_id,
        worker,
        status=status,
        claimed_by=None,
        last_error=error[:500],
        lease_expires_at=None if final else now + retry_in,
        **values,
    )
    return status


@dataclass(frozen=True)
class NudgeStatusReport:
    """What `aarbot nudges status` prints."""

    counts: dict[str, int]
    next_due: Nudge | None
    failed: Sequence[Nudge]


def status_report(*, session: Session, failed_limit: int = 20) -> NudgeStatusReport:
    """Counts by status, the next pending nudge, and the failed ones with their errors."""
    counts = dict(session.exec(select(Nudge.status, func.count()).group_by(Nudge.status)).all())
    next_due = session.exec(
        select(Nudge).where(Nudge.status == NudgeStatus.PENDING).order_by(col(Nudge.due_at))
    ).first()
    failed = session.exec(
        select(Nudge)
        .where(Nudge.status == NudgeStatus.FAILED)
        .order_by(col(Nudge.due_at))
        .limit(failed_limit)
    ).all()
    return NudgeStatusReport(counts=counts, next_due=next_due, failed=failed)


def retry_failed(*, session: Session) -> int:
    """Put every failed nudge back to pending with fresh attempts."""
    result = session.exec(
        update(Nudge)
        .where(Nudge.status == NudgeStatus.FAILED)
        .values(status=NudgeStatus.PENDING, attempts=0, lease_expires_at=None, claimed_by=None)
    )
    return result.rowcount or 0


def nudges_of(*, session: Session, action_id: int) -> Sequence[Nudge]:
    """An action's nudges, in due order."""
    return session.exec(
        select(Nudge).where(Nudge.action_id == action_id).order_by(col(Nudge.due_at))
    ).all()
