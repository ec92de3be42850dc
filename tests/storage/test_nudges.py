"""Nudge rows: planning, atomic claims with leases, sent/failed bookkeeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from storage import nudges, reviews
from storage.models import Nudge, NudgeStatus

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _action(session: Session) -> int:
    review = reviews.create_review(
        session=session,
        team_id="T1",
        template="miss",
        kind="miss",
        title="t",
        channel_id="C1",
        facilitator_id="U1",
    )
    action = reviews.add_action(
        session=session,
        review_id=review.id,
        what="Add a check",
        owner_id="U2",
        owner_tz="UTC",
        review_date=date(2026, 12, 3),
        success_criterion="alert fires",
        kind="fix",
        specificity=4,
        created_by="U1",
    )
    session.commit()
    return action.id


def _plan(session: Session, action_id: int, *offsets_hours: int) -> None:
    planned = [(f"k{i}", NOW + timedelta(hours=h)) for i, h in enumerate(offsets_hours)]
    nudges.replace_plan(session=session, action_id=action_id, planned=planned)
    session.commit()


def test_claim_takes_only_due_rows_and_only_once(session: Session) -> None:
    action_id = _action(session)
    _plan(session, action_id, -2, -1, 3)
    first = nudges.claim_due(session=session, now=NOW, worker="a", lease=LEASE)
    session.commit()
    assert len(first) == 2
    assert nudges.claim_due(session=session, now=NOW, worker="b", lease=LEASE) == []


def test_a_claim_takes_at_most_its_limit_oldest_first(session: Session) -> None:
    action_id = _action(session)
    _plan(session, action_id, -3, -2, -1)
    by_due = [n.id for n in nudges.nudges_of(session=session, action_id=action_id)]
    first = nudges.claim_due(session=session, now=NOW, worker="a", lease=LEASE, limit=1)
    assert first == by_due[:1]
    rest = nudges.claim_due(session=session, now=NOW, worker="b", lease=LEASE, limit=2)
    assert rest == sorted(by_due[1:])  # claim_due returns ids in id order


def test_an_expired_lease_is_claimed_again_and_the_old_worker_cannot_finish(
    session: Session,
) -> None:
    action_id = _action(session)
    _plan(session, action_id, -1)
    [nudge_id] = nudges.claim_due(session=session, now=NOW, worker="dead", lease=LEASE)
    session.commit()
    later = NOW + LEASE + timedelta(seconds=1)
    assert nudges.claim_due(session=session, now=later, worker="alive", lease=LEASE) == [nudge_id]
    session.commit()
    assert not nudges.mark_sent(
        session=session, nudge_id=nudge_id, worker="dead", channel_id="D1", ts="1.1", now=later
    )
    assert nudges.mark_sent(
        session=session, nudge_id=nudge_id, worker="alive", channel_id="D1", ts="1.2", now=later
    )
    session.commit()
    row = session.get(Nudge, nudge_id, populate_existing=True)
    assert (row.status, row.slack_ts, row.attempts) == (NudgeStatus.SENT, "1.2", 2)


def test_a_failed_attempt_backs_off_then_fails_for_good(session: Session) -> None:
    action_id = _action(session)
    _plan(session, action_id, -1)
    now = NOW
    for attempt in range(1, 4):
        [nudge_id] = nudges.claim_due(session=session, now=now, worker="w", lease=LEASE)
        status = nudges.mark_attempt_failed(
            session=session,
            nudge_id=nudge_id,
            worker="w",
            error="ratelimited",
            now=now,
            retry_in=timedelta(minutes=1),
            max_attempts=3,
        )
        session.commit()
        assert status == (NudgeStatus.FAILED if attempt == 3 else NudgeStatus.PENDING)
        # Not again before the backoff has passed.
        assert nudges.claim_due(session=session, now=now, worker="w", lease=LEASE) == []
        now += timedelta(minutes=2)
    report = nudges.status_report(session=session)
    assert report.counts == {NudgeStatus.FAILED: 1}
    assert report.failed[0].last_error == "ratelimited"
    assert nudges.retry_failed(session=session) == 1
    session.commit()
    assert nudges.claim_due(session=session, now=now, worker="w", lease=LEASE) == [nudge_id]


def test_replanning_cancels_what_is_no_longer_wanted_and_keeps_history(session: Session) -> None:
    action_id = _action(session)
    _plan(session, action_id, -1, 5)
    [sent] = nudges.claim_due(session=session, now=NOW, worker="w", lease=LEASE)
    nudges.mark_sent(session=session, nudge_id=sent, worker="w", channel_id="D", ts="1", now=NOW)
    session.commit()
    _plan(session, action_id, 10)  # rescheduled: only a new future nudge is wanted
    statuses = sorted(
        (n.status, n.kind) for n in nudges.nudges_of(session=session, action_id=action_id)
    )
    assert statuses == [
        (NudgeStatus.CANCELLED, "k1"),
        (NudgeStatus.PENDING, "k0"),
        (NudgeStatus.SENT, "k0"),
    ]
    assert nudges.cancel_pending(session=session, action_id=action_id) == 1
