"""The app joining a channel starts the reviews that were waiting for it."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import drafts
from bot.runtime.deps import Deps
from bot.slack.listeners.session import after_ack
from storage import reviews as store
from storage.events import claim_event

log = logging.getLogger("aarbot.drafts")


@after_ack
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
    deps.channels.forget(event["channel"])  # "not a member" is out of date now
    waiting = store.drafts_waiting_in(
        session=session, team_id=context.team_id or "", channel_id=event["channel"]
    )
    for review_id in [review.id for review in waiting]:
        try:
            drafts.post_draft(client, session, deps, review_id)
        except drafts.SLACK_FAILED as err:
            # The others still go; this one stays a draft for the retry job.
            log.warning("draft review %s not posted on invite: %s", review_id, err)
