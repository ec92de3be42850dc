"""Opening the App Home and clicking on it, as a person does in Slack, for the wiring tests."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from bot.standin import payloads as p
from bot.standin.driver import Bot, Response
from bot.standin.state import TEAM_ID
from storage.people import remember_user
from storage.types import utcnow


def known(session: Session, user_id: str, *, tz: str = "America/New_York") -> None:
    """Have users.info's answer about a person cached already, as after an earlier lookup."""
    remember_user(
        session=session,
        team_id=TEAM_ID,
        user_id=user_id,
        tz=tz,
        is_bot=False,
        deleted=False,
        fetched_at=utcnow(),
    )
    session.commit()


def open_home(bot: Bot, user: str, **kwargs: Any) -> dict[str, Any]:
    """Open the Home tab; return the view the app published."""
    bot.event(p.app_home_opened_event(user), **kwargs)
    home = bot.standin.home(user)
    assert home is not None, "no Home was published"
    return home


def shown(view: dict[str, Any]) -> str:
    """All of a view's blocks as one string, to look for text in."""
    return json.dumps(view["blocks"], ensure_ascii=False)


def buttons(view: dict[str, Any], action_id: str) -> list[str]:
    """The values of the view's buttons with this action_id, top to bottom."""
    found = []
    for block in view["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                found.append(element["value"])
    return found


def click_on_home(bot: Bot, user: str, action_id: str, value: str) -> Response:
    """Click a button on the person's Home tab: a view container, no channel, no response_url."""
    home = bot.standin.home(user)
    assert home is not None
    body = p.block_actions(
        user_id=user,
        action_id=action_id,
        value=value,
        block_id=f"home:{value}",
        view=home,
        trigger_id=p.new_trigger_id(),
    )
    response = bot.post_signed(body)
    bot.settle()
    return response
