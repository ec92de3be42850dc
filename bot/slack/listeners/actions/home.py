"""The App Home's own buttons; its Done / Reschedule / Drop are the nudge DM's (nudge.py)."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish.home import more_modal
from bot.runtime.deps import Deps
from bot.slack.listeners.session import opens_modal


@opens_modal
def open_more(
    action: dict,
    body: dict,
    client: WebClient,
    context: BoltContext,
    session: Session,
    deps: Deps,
) -> None:
    """See all: a modal with the whole list the Home only starts."""
    view = more_modal(
        session,
        deps,
        team_id=context.team_id or "",
        user_id=body["user"]["id"],
        which=action.get("value") or "",
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)
