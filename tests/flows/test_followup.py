"""Done / Reschedule / Drop on an action: who may, what is stored, what happens to its nudges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from flows import followup
from flows.actions import ActionDraft, Owner, add
from flows.nudges import NudgePolicy
from flows.review import ReviewError
from storage import reviews as store
from storage.models import Action, NudgeStatus, Review
from storage.nudges import nudges_of

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 11:30 in New York, 00:30 on the 11th in Tokyo
BOB = Owner(user_id="U0BOB", is_bot=False, deleted=False, tz="America/New_York")
POLICY = NudgePolicy()


@pytest.fixture
def planned(session: Session) -> tuple[Review, Action]:
    """A review facilitated by Alice with one open action owned by Bob, its nudges planned."""
    review = store.create_review(
        session=session,
        team_id="T0",
        template="miss",
        kind="miss",
        title="Checkout outage",
        channel_id="C0GENERAL",
        facilitator_id="U0ALICE",
    )
    draft = ActionDraft(
        what="Add a canary stage",
        owner_id="U0BOB",
        review_date=date(2026, 3, 24),
        success_criterion="Zero deploy incidents for 30 days",
        kind="fix",
    )
    action, _ = add(
        session=session,
        review=review,
        draft=draft,
        owner=BOB,
        created_by="U0ALICE",
        policy=POLICY,
        now=NOW,
        fallback_tz="UTC",
    )
    return review, action


def _statuses(session: Session, action: Action) -> set[str]:
    return {n.status for n in nudges_of(session=session, action_id=action.id)}


def test_done_stores_the_outcome_and_cancels_the_nudges(session, planned) -> None:
    review, action = planned
    assert _statuses(session, action) == {NudgeStatus.PENDING}
    outcome = followup.Outcome(" It caught two builds ", "partly", " ")
    followup.complete(
        session=session, action=action, review=review, user_id="U0BOB", outcome=outcome, now=NOW
    )
    assert (action.status, action.outcome) == ("done", "partly")
    assert (action.outcome_summary, action.outcome_notes) == ("It caught two builds", None)
    assert action.completed_at is not None
    session.expire_all()
    assert _statuses(session, action) == {NudgeStatus.CANCELLED}
    assert outcome.needs_follow_up


@pytest.mark.parametrize(
    ("outcome", "fields"),
    [
        (followup.Outcome("", "yes"), {"outcome"}),
        (followup.Outcome("Done", "maybe"), {"criterion_met"}),
        (followup.Outcome("Done", "no", "x" * 3001), {"notes"}),
        (followup.Outcome("Done", "yes"), set()),
    ],
)
def test_an_outcome_is_checked_field_by_field(outcome, fields) -> None:
    assert set(followup.check_outcome(outcome)) == fields


@pytest.mark.parametrize("user", ["U0BOB", "U0ALICE"])
def test_the_owner_or_the_facilitator_may_act(session, planned, user: str) -> None:
    review, action = planned
    followup.drop(
        session=session, action=action, review=review, user_id=user, reason="Moot", now=NOW
    )
    assert action.status == "dropped"


def test_anyone_else_is_refused(session, planned) -> None:
    review, action = planned
    with pytest.raises(ReviewError, match="Only the owner"):
        followup.drop(
            session=session, action=action, review=review, user_id="U0CAROL", reason="x", now=NOW
        )
    with pytest.raises(ReviewError, match="Only the owner"):
        followup.complete(
            session=session,
            action=action,
            review=review,
            user_id="U0CAROL",
            outcome=followup.Outcome("x", "yes"),
            now=NOW,
        )
    assert action.status == "open"


def test_a_closed_action_cannot_change_again(session, planned) -> None:
    review, action = planned
    followup.complete(
        session=session,
        action=action,
        review=review,
        user_id="U0BOB",
        outcome=followup.Outcome("Worked", "yes"),
        now=NOW,
    )
    with pytest.raises(ReviewError, match="already done"):
        followup.drop(
            session=session, action=action, review=review, user_id="U0BOB", reason="x", now=NOW
        )
    with pytest.raises(ReviewError, match="already done"):
        followup.reschedule(
            session=session,
            action=action,
            review=review,
            user_id="U0BOB",
            new_date=date(2026, 4, 2),
            owner=BOB,
            policy=POLICY,
            now=NOW,
            fallback_tz="UTC",
        )
    assert action.outcome == "yes"


def test_drop_needs_a_reason(session, planned) -> None:
    review, action = planned
    with pytest.raises(ReviewError, match="reason"):
        followup.drop(
            session=session, action=action, review=review, user_id="U0BOB", reason=" ", now=NOW
        )
    assert action.status == "open"
    followup.drop(
        session=session, action=action, review=review, user_id="U0BOB", reason=" Moot ", now=NOW
    )
    assert action.drop_reason == "Moot"
    session.expire_all()
    assert _statuses(session, action) == {NudgeStatus.CANCELLED}


def test_reschedule_replans_from_the_new_date(session, planned) -> None:
    review, action = planned
    old = {n.id for n in nudges_of(session=session, action_id=action.id)}
    new = followup.reschedule(
        session=session,
        action=action,
        review=review,
        user_id="U0BOB",
        new_date=date(2026, 4, 2),
        owner=BOB,
        policy=POLICY,
        now=NOW,
        fallback_tz="UTC",
    )
    assert action.review_date == date(2026, 4, 2)
    session.expire_all()
    nudges = nudges_of(session=session, action_id=action.id)
    pending = {(n.kind, n.due_at) for n in nudges if n.status == NudgeStatus.PENDING}
    assert pending == {(p.kind, p.due_at) for p in new}
    assert all(n.status == NudgeStatus.CANCELLED for n in nudges if n.id in old)
    due = next(p for p in new if p.kind == "due")
    assert due.due_at == datetime(2026, 4, 2, 13, 0, tzinfo=UTC)  # 09:00 EDT


@pytest.mark.parametrize(
    ("new_date", "problem"),
    [
        (None, "Pick"),
        (date(2026, 3, 9), "passed"),
        (date(2027, 3, 11), "within a year"),
        (date(2026, 3, 10), None),
    ],
)
def test_the_new_date_follows_the_creation_rules(new_date, problem) -> None:
    found = followup.check_new_date(new_date, BOB, NOW)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_a_new_date_is_judged_in_the_owners_zone() -> None:
    carol = Owner(user_id="U0CAROL", is_bot=False, deleted=False, tz="Asia/Tokyo")
    # It is already the 11th in Tokyo, still the 10th in New York.
    assert followup.check_new_date(date(2026, 3, 10), carol, NOW)
    assert followup.check_new_date(date(2026, 3, 10), BOB, NOW) is None


def test_a_new_date_in_an_unknown_zone_is_judged_in_the_fallback() -> None:
    lost = Owner(user_id="U0LOST", is_bot=False, deleted=False, tz="Not/AZone")
    assert followup.check_new_date(date(2026, 3, 10), lost, NOW) is None
    assert followup.check_new_date(date(2026, 3, 10), lost, NOW, fallback_tz="Asia/Tokyo")


def test_done_drop_and_reschedule_are_stamped_with_the_given_time(session, planned) -> None:
    review, action = planned
    later = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    followup.reschedule(
        session=session,
        action=action,
        review=review,
        user_id="U0BOB",
        new_date=date(2026, 4, 2),
        owner=BOB,
        policy=POLICY,
        now=later,
        fallback_tz="UTC",
    )
    assert action.updated_at == later
    done = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
    outcome = followup.Outcome("It worked", "yes")
    followup.complete(
        session=session, action=action, review=review, user_id="U0BOB", outcome=outcome, now=done
    )
    assert action.completed_at == action.updated_at == done


def test_a_drop_is_stamped_with_the_given_time(session, planned) -> None:
    review, action = planned
    followup.drop(
        session=session, action=action, review=review, user_id="U0BOB", reason="Moot", now=NOW
    )
    assert action.completed_at == action.updated_at == NOW
