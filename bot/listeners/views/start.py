"""The start modal's submission: create the review and post it, or keep it as a draft."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from sqlmodel import Session

from bot import posting
from bot.blocks.text import escape
from bot.deps import Deps
from bot.ids import Block, Option
from bot.listeners.session import with_session
from bot.listeners.views import values
from flows import review as rules


@with_session
def submit_start(
    ack: Ack,
    body: dict,
    view: dict,
    client: WebClient,
    context: BoltContext,
    session: Session,
    deps: Deps,
) -> None:
    """Check the modal, then start the review in its channel (or wait to be invited)."""
    meta = values.meta(view)
    title = values.text(view, Block.TITLE).strip()
    template = deps.templates.templates.get(values.selected(view, Block.TEMPLATE) or "")
    channel = meta.get("channel") or values.conversation(view, Block.CHANNEL)
    errors = {}
    if not title:
        errors[Block.TITLE] = "Give the review a title."
    if template is None:
        errors[Block.TEMPLATE] = "Pick a kind of review."
    if not channel:
        errors[Block.CHANNEL] = "Pick the channel the review should run in."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    user_id = body["user"]["id"]
    options = values.checked(view, Block.OPTIONS)
    review = rules.start(
        session=session,
        template=template,
        team_id=context.team_id or body["user"].get("team_id", ""),
        title=title,
        channel_id=channel,
        facilitator_id=user_id,
        participant_ids=values.users(view, Block.PARTICIPANTS),
        what_happened=values.text(view, Block.WHAT_HAPPENED),
        confidential=Option.CONFIDENTIAL in options,
        collect_perspectives=Option.PERSPECTIVES in options,
        attributed_perspectives=Option.ATTRIBUTED in options,
        source_permalink=meta.get("source"),
    )
    # Kept as a draft even if posting fails below; the error handler then tells the user.
    session.commit()
    if posting.can_post_in(client, channel):
        posting.post_review(client, session, deps, review)
        return
    response_url = meta.get("response_url") or next(
        (r["response_url"] for r in body.get("response_urls") or []), None
    )
    review.draft_response_url = response_url
    note = (
        f"I'm not in <#{channel}> yet, so your review “{escape(title)}” is saved as a draft. "
        "Invite me with `/invite @aarbot` in that channel and it starts right away."
    )
    if response_url:
        _respond(response_url, note)
    else:
        client.chat_postMessage(channel=user_id, text=note)


def _respond(url: str, text: str) -> None:
    WebhookClient(url).send(text=text, response_type="ephemeral")
