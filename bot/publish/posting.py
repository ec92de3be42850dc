"""Putting a review into Slack and keeping its message current (shared by the listeners)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.runtime.deps import Deps
from bot.slack.blocks import review as render
from bot.slack.blocks.followup import action_state_dm
from bot.slack.blocks.nudges import listed_action_state, lists_actions
from bot.slack.channels import ChannelCache
from flows import perspectives
from flows import review as rules
from storage import reviews as store
from storage.models import Action, Review, Stage

log = logging.getLogger("aarbot.posting")


def can_post_in(client: WebClient, channel_id: str, channels: ChannelCache | None = None) -> bool:
    """Make sure the app is in the channel: join a public one; False for a private one.

    With `channels`, a recent conversations.info answer is reused when it says the app is a
    member; any other answer is asked afresh, since the app may have been invited since.
    """
    try:
        info = channels.cached(client, channel_id) if channels is not None else None
        if info is None or not (info.get("is_member") or info.get("is_im")):
            info = (
                channels.info(client, channel_id, fresh=True)
                if channels is not None
                else client.conversations_info(channel=channel_id)["channel"]
            )
    except SlackApiError as err:
        # Slack hides private channels the app is not in: that is "not invited yet".
        if err.response.get("error") == "channel_not_found":
            return False
        raise
    if info.get("is_member") or info.get("is_im"):
        return True
    if info.get("is_private"):
        return False
    client.conversations_join(channel=channel_id)
    if channels is not None:
        channels.forget(channel_id)
    return True


def _is_private(client: WebClient, deps: Deps, channel_id: str) -> bool:
    try:
        info = deps.channels.info(client, channel_id)
    except SlackApiError:
        return False  # the post below says what is wrong with the channel
    return bool(info.get("is_private") or info.get("is_mpim"))


def review_view(session: Session, deps: Deps, review: Review) -> render.ReviewView:
    """Gather what the review message shows."""
    people = store.participants(session=session, review_id=review.id)
    return render.ReviewView(
        review=review,
        template=deps.template(review.template),
        participant_ids=[p.user_id for p in people],
        answer_counts=store.answer_counts(session=session, review_id=review.id),
        actions=store.actions(session=session, review_id=review.id),
        perspectives=perspectives.progress(session=session, review=review)
        if review.collect_perspectives
        else None,
    )


def refresh(client: WebClient, session: Session, deps: Deps, review: Review) -> None:
    """Update the review message (chat.update) to show the current state.

    The state is read afresh: `review` may have been loaded before another request moved
    it on (sessions keep their objects past a commit), and a message rendered from that
    would put the review's buttons back on a question it has left, where a click is refused
    as stale. If the review changed while Slack answered, the newer state is shown.
    """
    if not review.message_ts:
        return
    session.flush()
    shown = None
    for _attempt in range(3):
        session.refresh(review)
        rendered = render.review_message(review_view(session, deps, review))
        if rendered == shown:
            return
        text, blocks = shown = rendered
        client.chat_update(
            channel=review.channel_id, ts=review.message_ts, text=text, blocks=blocks
        )


def post_to_thread(client: WebClient, review: Review, text: str, blocks: list) -> str:
    """Post into the review's thread; return the message ts."""
    response = client.chat_postMessage(
        channel=review.channel_id, thread_ts=review.thread_ts, text=text, blocks=blocks
    )
    return response["ts"]


def post_question(client: WebClient, deps: Deps, review: Review) -> None:
    """Post the current question in the thread."""
    template = deps.template(review.template)
    question = rules.current_question(review, template)
    text, blocks = render.question_message(review, template, question)
    post_to_thread(client, review, text, blocks)


def post_review(client: WebClient, session: Session, deps: Deps, review: Review) -> None:
    """Post the review message, then the first question or the private-perspective DMs."""
    rules.begin(review)
    if not review.confidential and _is_private(client, deps, review.channel_id):
        # A review in a private channel is confidential (DESIGN §6): kept out of search, stats
        # and Homes of people not in it, and never shared without an explicit confirmation.
        review.confidential = True
    view = review_view(session, deps, review)
    text, blocks = render.review_message(view)
    posted = client.chat_postMessage(channel=review.channel_id, text=text, blocks=blocks)
    rules.mark_posted(review, message_ts=posted["ts"], permalink=_permalink(client, review, posted))
    # Committed at once: whatever fails below, this review is never posted a second time.
    session.commit()
    if review.stage == Stage.PERSPECTIVES:
        invite_perspectives(client, session, review)
    else:
        post_question(client, deps, review)
    from bot.publish import repeats  # repeats posts through this module

    repeats.suggest_similar(client, session, deps, review)


def _permalink(client: WebClient, review: Review, posted: dict) -> str | None:
    try:
        return client.chat_getPermalink(channel=review.channel_id, message_ts=posted["ts"]).get(
            "permalink"
        )
    except SlackApiError as err:
        # Only links to the review miss it; the review itself goes on.
        log.warning("no permalink for review %s: %s", review.id, err.response.get("error"))
        return None


def invite_perspectives(client: WebClient, session: Session, review: Review) -> None:
    """DM every participant a button to answer privately."""
    text, blocks = render.perspective_dm(review)
    for person in store.participants(session=session, review_id=review.id):
        try:
            dm = client.conversations_open(users=person.user_id)["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text, blocks=blocks)
        except SlackApiError as err:
            # A deactivated or bot participant cannot be DMed; the others still are.
            log.warning("could not DM %s: %s", person.user_id, err.response.get("error"))


def tell(client: WebClient, review: Review, user_id: str, text: str) -> None:
    """An ephemeral note to one person in the review's thread."""
    client.chat_postEphemeral(
        channel=review.channel_id, user=user_id, text=text, thread_ts=review.thread_ts
    )


def show_action_state(
    client: WebClient,
    channel_id: str | None,
    ts: str | None,
    action: Action,
    review: Review,
    *,
    hidden: bool = False,
) -> None:
    """Update an action's DM to its current state, so its buttons cannot act twice.

    A DM that lists several escalated actions keeps the others: only this action's lines
    change (read back from the DM's history, which the metadata says is such a list).
    """
    # `hidden`: the DM's reader (who clicked its button) may not see the review.
    if not (channel_id and ts):
        return
    listing = _listing(client, channel_id, ts)
    if listing is not None:
        blocks = listed_action_state(listing, action)
        client.chat_update(channel=channel_id, ts=ts, text=listing.get("text", ""), blocks=blocks)
        return
    text, blocks = action_state_dm(action, review, hidden=hidden)
    client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)


def _listing(client: WebClient, channel_id: str, ts: str) -> dict | None:
    """The DM message at `ts` if it is a grouped escalation DM, else None."""
    if not channel_id.startswith("D"):
        return None
    try:
        found = client.conversations_history(
            channel=channel_id, latest=ts, inclusive=True, limit=1, include_all_metadata=True
        )
    except SlackApiError as err:
        # Without im:history (an older install) the DM is shown as one action's, as before.
        log.info("cannot read DM %s to update it: %s", channel_id, err.response.get("error"))
        return None
    messages = found.get("messages") or []
    if messages and messages[0].get("ts") == ts and lists_actions(messages[0]):
        return messages[0]
    return None
