"""Reviews waiting to be posted, and posting them once they can be.

A review is stored before its start modal is answered, so what the facilitator typed is
never lost. It stays a draft (no message in Slack yet) while the app is not in its private
channel, or when Slack kept failing the post beyond the client's own retries. A draft is
posted by the first of: its own request, the app being invited (member_joined_channel), or
the `post-waiting-reviews` job, which retries drafts a few minutes old for a week. One claim
per draft (a row lock; on SQLite the write lock) means only one of them posts it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient
from sqlmodel import Session

from bot.publish import posting
from bot.runtime.deps import Deps
from bot.slack.blocks.text import escape
from storage import reviews as store
from storage.db import holding, session_scope

log = logging.getLogger("aarbot.drafts")

# Younger drafts may still be posting from their own request; older ones are given up on.
RETRY_AFTER = timedelta(minutes=2)
RETRY_FOR = timedelta(days=7)
RETRY_BATCH = 20
RETRY_EVERY_SECONDS = 120

# Slack failing: its error answers after the client's retries, or no answer at all.
SLACK_FAILED = (SlackClientError, OSError)


def post_draft(client: WebClient, session: Session, deps: Deps, review_id: int) -> bool:
    """Post a draft review unless it is posted already; True if this call posted it.

    If Slack fails before the review message is in the channel, it stays a draft.
    """
    session.commit()  # the draft is kept whatever happens to the post below
    with holding(session):  # the claim holds until the review message is posted
        review = store.claim_draft(session=session, review_id=review_id)
        if review is None:
            return False
        try:
            posting.post_review(client, session, deps, review)
        except BaseException:
            session.rollback()  # a failed post leaves the draft exactly as it was
            raise
    return True


def start_or_wait(
    client: WebClient,
    session: Session,
    deps: Deps,
    *,
    review_id: int,
    user_id: str,
    response_url: str | None,
) -> None:
    """After the start modal's ack: post the review, or keep it as a draft and say why."""
    review = store.get_review(session=session, review_id=review_id)
    if review is None:
        return
    channel, title = review.channel_id, review.title
    try:
        if posting.can_post_in(client, channel, deps.channels):
            post_draft(client, session, deps, review_id)
            return
    except SLACK_FAILED as err:
        session.rollback()
        still = store.get_review(session=session, review_id=review_id)
        if still is None or still.message_ts:
            raise  # it is posted; a later step failed, and the error handler says so
        log.warning("review %s kept as a draft: %s", review_id, _reason(err))
        tell(
            client,
            user_id,
            response_url,
            f"Slack did not take your review “{escape(title)}” just now ({_reason(err)}). "
            f"It is saved, and I will post it in <#{channel}> as soon as Slack lets me.",
        )
        return
    review.draft_response_url = response_url
    tell(
        client,
        user_id,
        response_url,
        f"I'm not in <#{channel}> yet, so your review “{escape(title)}” is saved as a draft. "
        "Invite me with `/invite @aarbot` in that channel and it starts right away.",
    )


def post_waiting(*, deps: Deps, client: WebClient) -> int:
    """The retry job: post the drafts that can be posted now; how many were."""
    now = deps.clock()
    with session_scope(deps.engine) as session:
        ids = store.drafts_to_retry(
            session=session,
            created_after=now - RETRY_FOR,
            created_before=now - RETRY_AFTER,
            limit=RETRY_BATCH,
        )
    posted = 0
    for review_id in ids:
        # One transaction per draft, so one failing post does not hold up the others.
        try:
            with session_scope(deps.engine) as session:
                review = store.get_review(session=session, review_id=review_id)
                if review is None:
                    continue
                team_client = _for_team(client, review.team_id)
                if posting.can_post_in(team_client, review.channel_id, deps.channels):
                    posted += post_draft(team_client, session, deps, review_id)
        except SLACK_FAILED as err:
            log.warning("review %s still not posted: %s", review_id, _reason(err))
    return posted


def tell(client: WebClient, user_id: str, response_url: str | None, text: str) -> None:
    """An ephemeral note through the response_url if there is one, else a DM; never raises."""
    try:
        if response_url:
            answer = WebhookClient(response_url).send(text=text, response_type="ephemeral")
            if answer.status_code == 200:
                return
            log.warning("response_url answered %s; trying a DM", answer.status_code)
        client.chat_postMessage(channel=user_id, text=text)
    except SLACK_FAILED as err:
        log.warning("could not tell %s: %s", user_id, _reason(err))


def _for_team(client: object, team_id: str) -> WebClient:
    # A multi-workspace install hands jobs a client per team; one workspace has the one.
    for_team = getattr(client, "for_team", None)
    return for_team(team_id) if for_team is not None else client  # type: ignore[return-value]


def _reason(err: Exception) -> str:
    if isinstance(err, SlackApiError):
        return str(err.response.get("error") or "an error")
    return type(err).__name__
