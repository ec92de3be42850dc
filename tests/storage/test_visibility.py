"""Who may see a review: the facilitator, participants and leads of a confidential one, and
not the owner of one of its actions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from flows import actions
from flows.nudges import NudgePolicy
from storage import reviews as store
from storage.models import Review
from storage.visibility import can_see, visible_review_ids

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CAROL = actions.Owner(user_id="U0CAROL", is_bot=False, deleted=False, tz="Asia/Tokyo")


def _review_with_carols_action(session: Session, *, confidential: bool) -> Review:
    """Alice's review with Bob listed, and an action given to Carol the way the modal does."""
    review = store.create_review(
        session=session,
        team_id="T0001",
        template="miss",
        kind="miss",
        title="Payroll export leaked",
        channel_id="C0OPS",
        facilitator_id="U0ALICE",
        participant_ids=("U0BOB",),
        confidential=confidential,
    )
    draft = actions.ActionDraft(
        what="Rotate the storage bucket keys",
        owner_id=CAROL.user_id,
        review_date=date(2026, 12, 1),
        success_criterion="No bucket key older than 30 days",
        kind="fix",
    )
    assert actions.validate(draft, CAROL, now=NOW) == {}
    actions.add(
        session=session,
        review=review,
        draft=draft,
        owner=CAROL,
        created_by="U0ALICE",
        policy=NudgePolicy(),
        now=NOW,
        fallback_tz="UTC",
    )
    session.commit()
    return review


def _sees(session: Session, review: Review, viewer: str, *, lead: bool = False) -> bool:
    return can_see(session=session, review=review, viewer_id=viewer, is_lead=lead)


def test_a_confidential_review_is_seen_by_its_people_and_leads_not_an_owner(
    session: Session,
) -> None:
    review = _review_with_carols_action(session, confidential=True)
    people = {p.user_id for p in store.participants(session=session, review_id=review.id)}
    assert people == {"U0ALICE", "U0BOB"}  # owning the action made Carol no participant
    assert _sees(session, review, "U0ALICE")
    assert _sees(session, review, "U0BOB")
    assert _sees(session, review, "U0LEAD", lead=True)
    assert not _sees(session, review, "U0CAROL")
    found = visible_review_ids(
        session=session, review_ids=[review.id], viewer_id="U0CAROL", is_lead=False
    )
    assert found == set()


def test_an_open_review_is_seen_by_everyone_and_lists_only_its_people(session: Session) -> None:
    review = _review_with_carols_action(session, confidential=False)
    assert _sees(session, review, "U0CAROL")
    assert _sees(session, review, "U0DAN")
    people = {p.user_id for p in store.participants(session=session, review_id=review.id)}
    assert people == {"U0ALICE", "U0BOB"}
