"""The app joining a channel starts the reviews that were waiting for it."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot import posting
from bot.deps import Deps
from bot.listeners.session import with_session
from storage import reviews as store
from storage.events import claim_event


@with_session
def on_member_joined(
    event: dict,
    body: dict,
    client: WebClient,
    context: BoltContext,
    session: Session,
    deps: Deps,
) -> None:
    """When the app itself is invited to a channel, post the drafts waiting there."""
    if event.get("user") != context.bot_user_id:
        return
    if body.get("event_id") and not claim_event(
        session=session, event_id=body["event_id"], team_id=context.team_id or ""
    ):
        return
    for review in store.drafts_waiting_in(
        session=session, team_id=context.team_id or "", channel_id=event["channel"]
    ):
        posting.post_review(client, session, deps, review)
