"""The one claim helper: any work table's rows are taken once, in order, by one owner."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, and_, or_
from sqlmodel import Session, col, select

from storage import claims, reviews
from storage.db import session_scope
from storage.models import Nudge, NudgeStatus

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE_UNTIL = NOW + timedelta(minutes=5)


def _rows(session: Session, count: int) -> list[int]:
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
    # Added newest first, so id order and due order disagree.
    rows = [
        Nudge(action_id=action.id, kind=f"k{i}", due_at=NOW - timedelta(minutes=i))
        for i in range(count)
    ]
    session.add_all(rows)
    session.commit()
    return [row.id for row in rows]


def _ready(now: datetime = NOW):
    waiting = Nudge.status == NudgeStatus.PENDING
    abandoned = and_(Nudge.status == NudgeStatus.CLAIMED, col(Nudge.lease_expires_at) <= now)
    return or_(waiting, abandoned)


def _claim(session: Session, owner: str, limit: int, now: datetime = NOW, **kw) -> list[int]:
    return claims.claim(
        session,
        Nudge,
        ready=_ready(now),
        order_by=[col(Nudge.due_at), col(Nudge.id)],
        limit=limit,
        owner=owner,
        lease_until=now + timedelta(minutes=5),
        claimed_status=NudgeStatus.CLAIMED,
        **kw,
    )


def test_a_claim_takes_the_first_rows_in_order_and_sets_the_lease(session: Session) -> None:
    ids = _rows(session, 4)
    oldest_two = sorted(ids[-2:])
    assert _claim(session, "a", 2, values={"last_error": "taken"}) == oldest_two
    session.commit()
    for row_id in oldest_two:
        row = session.get(Nudge, row_id, populate_existing=True)
        assert (row.status, row.claimed_by, row.attempts, row.last_error) == (
            NudgeStatus.CLAIMED,
            "a",
            1,
            "taken",
        )
        assert row.lease_expires_at == LEASE_UNTIL
    assert _claim(session, "b", 10) == sorted(ids[:2])
    assert _claim(session, "c", 10) == []


def test_only_the_owner_finishes_and_only_while_it_holds_the_claim(session: Session) -> None:
    [row_id] = _rows(session, 1)
    _claim(session, "dead", 1)
    session.commit()
    later = LEASE_UNTIL + timedelta(seconds=1)
    assert _claim(session, "alive", 1, now=later) == [row_id]  # the lease ran out
    session.commit()
    assert not claims.finish(session, Nudge, row_id, "dead", status=NudgeStatus.SENT)
    assert claims.finish(session, Nudge, row_id, "alive", status=NudgeStatus.SENT, claimed_by=None)
    assert not claims.finish(session, Nudge, row_id, "alive", status=NudgeStatus.FAILED)
    session.commit()
    row = session.get(Nudge, row_id, populate_existing=True)
    assert (row.status, row.attempts) == (NudgeStatus.SENT, 2)


def test_concurrent_claimers_never_take_the_same_row(engine: Engine, session: Session) -> None:
    ids = _rows(session, 200)
    taken: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(owner: str) -> None:
        mine: list[int] = []
        try:
            start.wait(10)
            while True:
                with session_scope(engine) as s:
                    got = _claim(s, owner, 7)
                if not got:
                    break
                mine += got
        except BaseException as err:  # reported by the assertion below
            errors.append(err)
        taken[owner] = mine

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    every = [row_id for mine in taken.values() for row_id in mine]
    assert sorted(every) == sorted(ids)  # each row once, none left
    owners = dict(session.exec(select(Nudge.id, Nudge.claimed_by)).all())
    assert all(owners[row_id] == owner for owner, mine in taken.items() for row_id in mine)
