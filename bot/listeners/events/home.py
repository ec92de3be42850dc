"""App Home, published when someone opens it."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.blocks.home import SHOWN, home_view
from bot.deps import Deps
from bot.listeners.session import after_ack
from storage import home


@after_ack
def on_home_opened(
    event: dict, client: WebClient, context: BoltContext, session: Session, deps: Deps
) -> None:
    """Publish the Home tab of the person who opened it."""
    if event.get("tab") != "home":
        return
    user_id, team_id = event["user"], context.team_id or ""
    view = home_view(
        actions=home.open_actions_of(
            session=session, team_id=team_id, user_id=user_id, limit=SHOWN
        ),
        reviews=home.reviews_of(session=session, team_id=team_id, user_id=user_id, limit=SHOWN),
        today=deps.clock().date(),
    )
    client.views_publish(user_id=user_id, view=view)
