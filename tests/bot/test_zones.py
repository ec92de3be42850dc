"""An owner who changes time zone gets their nudges re-planned at their new working hour."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.deps import Deps
from bot.standin.driver import Bot
from bot.zones import refresh_owner_zones
from storage.models import Action, Nudge, NudgeStatus
from tests.bot import reviewing as r


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
