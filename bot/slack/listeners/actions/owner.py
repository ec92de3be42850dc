"""The owner picker in the Add action modal: look the person up while the modal is filled in."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.runtime.deps import Deps
from bot.slack import people
from bot.slack.listeners.session import opens_modal


@opens_modal
def look_up_owner(
    action: dict, body: dict, client: WebClient, context: BoltContext, session: Session, deps: Deps
) -> None:
    """Ask users.info about the person just picked, so the submission finds them cached."""
    user_id = action.get("selected_user")
    if not user_id:
        return
    team_id = context.team_id or (body.get("team") or {}).get("id", "")
    # Whether Slack knows them is for the submission to say; asking now caches the answer.
    people.unknown_to_slack(
        client=client, session=session, deps=deps, team_id=team_id, user_id=user_id
    )
