"""The start modal's submission: create the review and post it, or keep it as a draft."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import drafts
from bot.runtime.deps import Deps
from bot.slack.ids import Block, Option
from bot.slack.listeners.session import Later, submission
from bot.slack.listeners.views import values
from flows import review as rules


@submission
def submit_start(
    ack: Ack,
    body: dict,
    view: dict,
    context: BoltContext,
    session: Session,
    deps: Deps,
    later: Later,
) -> None:
    """Check the modal and store the review, then (after the ack) post it in its channel or
    keep it as a draft until the app is invited."""
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
    # Slack gets its answer once the review is committed (as a draft until it is posted), so
    # a failing post below loses nothing: the facilitator is told, and the post is retried.
    ack()
    response_url = meta.get("response_url") or next(
        (r["response_url"] for r in body.get("response_urls") or []), None
    )
    later(post_review, review_id=review.id, user_id=user_id, response_url=response_url)


def post_review(
    *,
    session: Session,
    client: WebClient,
    deps: Deps,
    review_id: int,
    user_id: str,
    response_url: str | None,
) -> None:
    """After the ack: post the review in its channel, or keep it as a draft and say why."""
    drafts.start_or_wait(
        client, session, deps, review_id=review_id, user_id=user_id, response_url=response_url
    )
