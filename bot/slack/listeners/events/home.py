"""App Home, published when someone opens it."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish.home import publish_home
from bot.runtime.deps import Deps
from bot.slack.listeners.session import after_ack


@after_ack
def on_home_opened(
    event: dict, client: WebClient, context: BoltContext, session: Session, deps: Deps
) -> None:
    """Publish the Home tab of the person who opened it."""
    if event.get("tab") != "home":
        return
    publish_home(client, session, deps, team_id=context.team_id or "", user_id=event["user"])
