"""An owner who changes time zone gets their nudges re-planned at their new working hour."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.jobs.nudges import sweep
from bot.jobs.timezones import refresh_owner_zones
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.standin import SlackStandIn
from bot.standin.driver import Bot
from flows.actions import Owner, plan_nudges
from flows.followup import reschedule
from storage import nudges, reviews
from storage.models import Action, Nudge, NudgeStatus, Review
from tests.bot import reviewing as r
from tests.bot.nudging import NOW, TODAY, clients_with_an_unreachable_team, due_actions, review

NEW_YORK, LOS_ANGELES = "America/New_York", "America/Los_Angeles"


def test_a_moved_owner_gets_nudges_at_the_new_local_hour(
    bot: Bot, deps: Deps, session: Session
) -> None:
    root = r.start(bot, participants=("U0BOB",))
    r.add_action(bot, root, owner="U0BOB")
    action = session.exec(select(Action)).one()
    assert action.owner_tz == "America/New_York"

    # Bob moves to Tokyo; a day later the cached profile is stale and gets re-read.
    bot.standin.state.users["U0BOB"].tz = "Asia/Tokyo"
    later = replace(deps, clock=lambda: datetime.now(UTC) + timedelta(days=1, hours=1))
    client = WebClient(token="xoxb-test", base_url=bot.standin.base_url)
    assert refresh_owner_zones(deps=later, client=client) == 1

    session.rollback()
    action = session.get(Action, action.id, populate_existing=True)
    assert action.owner_tz == "Asia/Tokyo"
    pending = session.exec(
        select(Nudge).where(Nudge.action_id == action.id, Nudge.status == NudgeStatus.PENDING)
    ).all()
    assert pending
    # 09:00 in Tokyo is 00:00 UTC.
    assert {n.due_at.hour for n in pending} == {0}
    # Nothing changes on a second run.
    assert refresh_owner_zones(deps=later, client=client) == 0


def _bobs_action(session: Session, deps: Deps, standin: SlackStandIn) -> Action:
    """Bob's action in New York, due today (NOW is 9:00 there), planned the day before."""
    action = reviews.add_action(
        session=session,
        review_id=review(session, standin).id,
        what="Add a canary stage",
        owner_id="U0BOB",
        owner_tz=NEW_YORK,
        review_date=TODAY,
        success_criterion="Zero deploy incidents for 30 days",
        kind="fix",
        specificity=4,
        created_by="U0ALICE",
    )
    plan_nudges(
        session=session,
        action=action,
        policy=deps.settings.nudge_policy(),
        now=NOW - timedelta(days=1),
        fallback_tz=deps.settings.default_tz,
    )
    session.commit()
    return action


def _at(deps: Deps, moment: datetime) -> Deps:
    return replace(deps, clock=lambda: moment)


def _pending(session: Session, action_id: int) -> dict[str, datetime]:
    session.rollback()
    return {
        n.kind: n.due_at
        for n in nudges.nudges_of(session=session, action_id=action_id)
        if n.status == NudgeStatus.PENDING
    }


def _la_9am(day: int) -> datetime:
    return datetime(2026, 12, day, 17, 0, tzinfo=UTC)


def test_a_move_west_does_not_send_a_reminder_the_owner_already_had(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    action = _bobs_action(session, deps, standin)
    client = build_client(deps.settings)
    assert [d.kind for d in sweep(deps=_at(deps, NOW), client=client).sent] == ["due"]

    standin.state.users["U0BOB"].tz = LOS_ANGELES
    assert refresh_owner_zones(deps=_at(deps, NOW + timedelta(hours=1)), client=client) == 1

    # 9:00 in Los Angeles is still ahead today, but Bob has had today's nudge.
    assert _pending(session, action.id) == {"overdue": _la_9am(7), "escalation": _la_9am(10)}
    assert sweep(deps=_at(deps, NOW + timedelta(hours=4)), client=client).sent == []
    assert len(standin.dm("U0BOB")) == 1


def test_a_move_after_a_reschedule_keeps_the_new_dates_nudges(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    action = _bobs_action(session, deps, standin)
    client = build_client(deps.settings)
    assert len(sweep(deps=_at(deps, NOW), client=client).sent) == 1
    session.rollback()
    action = session.get(Action, action.id, populate_existing=True)
    reschedule(
        session=session,
        action=action,
        review=session.get(Review, action.review_id),
        user_id="U0BOB",
        new_date=TODAY + timedelta(days=7),
        owner=Owner(user_id="U0BOB", is_bot=False, deleted=False, tz=NEW_YORK),
        policy=deps.settings.nudge_policy(),
        now=NOW + timedelta(hours=1),
        fallback_tz=deps.settings.default_tz,
    )
    session.commit()

    standin.state.users["U0BOB"].tz = LOS_ANGELES
    assert refresh_owner_zones(deps=_at(deps, NOW + timedelta(hours=2)), client=client) == 1

    # The due nudge Bob had was for the old date: the new date's is planned all the same.
    assert _pending(session, action.id) == {
        "reminder": _la_9am(8),
        "due": _la_9am(10),
        "overdue": _la_9am(14),
        "escalation": _la_9am(17),
    }


def test_an_owner_whose_team_cannot_be_reached_does_not_stop_the_others_refresh(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    far = review(session)
    far.team_id = "T0AWAY"  # its Slack does not answer
    due_actions(session, 1, review_row=far, owners=("U0ZED",))
    action = _bobs_action(session, deps, standin)
    standin.state.users["U0BOB"].tz = LOS_ANGELES
    clients = clients_with_an_unreachable_team(deps.settings, "T0AWAY")

    assert refresh_owner_zones(deps=_at(deps, NOW + timedelta(hours=1)), client=clients) == 1

    session.rollback()
    assert session.get(Action, action.id, populate_existing=True).owner_tz == LOS_ANGELES
