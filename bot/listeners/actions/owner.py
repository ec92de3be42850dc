"""The owner picker in the Add action modal: look the person up while the modal is filled in."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import people
from bot.deps import Deps
from bot.listeners.session import after_ack

log = logging.getLogger("aarbot.actions")


@after_ack
def look_up_owner(
    action: dict, body: dict, client: WebClient, context: BoltContext, session: Session, deps: Deps
) -> None:
    """Ask users.info about the person just picked, so the submission finds them cached."""
    user_id = action.get("selected_user")
    if not user_id:
        return
    team_id = context.team_id or (body.get("team") or {}).get("id", "")
    try:
        people.lookup(client=client, session=session, deps=deps, team_id=team_id, user_id=user_id)
    except SlackApiError as err:
        # Nothing is lost: the submission asks again if the person is still unknown then.
        log.warning("could not look up %s: %s", user_id, err.response.get("error"))
