"""A person's open actions in one workspace, as their Home and the daily zone refresh read them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from storage import reviews as store
from storage.home import open_actions_of
from storage.models import ActionStatus
from storage.people import open_actions_owned_by


def _action(session: Session, *, team_id: str, owner_id: str, day: date, status: str) -> int:
    review = store.create_review(
        session=session,
        team_id=team_id,
        template="miss",
        kind="miss",
        title="Checkout outage",
        channel_id="C0GENERAL",
        facilitator_id="U0ALICE",
    )
    action = store.add_action(
        session=session,
        review_id=review.id,
        what="Add a canary stage",
        owner_id=owner_id,
        owner_tz="UTC",
        review_date=day,
        success_criterion="zero failed deploys in 30 days",
        kind="fix",
        specificity=3,
        created_by="U0ALICE",
    )
    action.status = status
    session.flush()
    return action.id


def test_open_actions_are_the_owners_open_ones_in_that_workspace_soonest_first(
    session: Session,
) -> None:
    later = _action(
        session, team_id="T1", owner_id="U0BOB", day=date(2026, 5, 2), status=ActionStatus.OPEN
    )
    sooner = _action(
        session, team_id="T1", owner_id="U0BOB", day=date(2026, 5, 1), status=ActionStatus.OPEN
    )
    _action(session, team_id="T1", owner_id="U0BOB", day=date(2026, 4, 1), status="done")
    _action(session, team_id="T1", owner_id="U0CAROL", day=date(2026, 4, 1), status="open")
    _action(session, team_id="T2", owner_id="U0BOB", day=date(2026, 4, 1), status="open")
    mine = open_actions_owned_by(session=session, team_id="T1", user_id="U0BOB")
    assert [a.id for a in mine] == [sooner, later]
    listed = open_actions_of(session=session, team_id="T1", user_id="U0BOB", limit=1)
    assert [a.id for a, _ in listed] == [sooner]
