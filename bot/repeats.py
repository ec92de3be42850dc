"""Repeat detection in Slack: similar past reviews in the thread, and escalations to the leads."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.blocks import repeats as render
from bot.deps import Deps
from flows import repeats as rules
from storage import repeats as store
from storage.models import Review

log = logging.getLogger("aarbot.repeats")


def suggest_similar(client: WebClient, session: Session, deps: Deps, review: Review) -> None:
    """Once "what happened" is known, post up to three similar past reviews, once per review."""
    if not review.thread_ts or store.check_of(session=session, review_id=review.id):
        return
    happened = rules.what_happened(
        session=session, review=review, template=deps.template(review.template)
    )
    if not happened:
        return
    pasts = rules.find_similar(
        session=session, review=review, happened=happened, template_of=deps.template
    )
    try:
        # A savepoint: if the post fails the check goes too and the next answer tries again,
        # while the caller's own work (the review, the answer) is kept.
        with session.begin_nested():
            check = store.record_check(
                session=session, review_id=review.id, similar_ids=[p.review.id for p in pasts]
            )
            if pasts:
                check.message_ts = _post(client, review, *render.similar_message(review, pasts))
    except IntegrityError:
        return  # another process compared this review at the same moment
    except SlackApiError as err:
        log.warning(
            "could not post similar reviews for review %s: %s",
            review.id,
            err.response.get("error"),
        )


def _post(client: WebClient, review: Review, text: str, blocks: list) -> str:
    posted = client.chat_postMessage(
        channel=review.channel_id, thread_ts=review.thread_ts, text=text, blocks=blocks
    )
    return posted["ts"]


def mark_and_escalate(
    client: WebClient, session: Session, deps: Deps, review: Review, *, past_id: int, user_id: str
) -> None:
    """The facilitator marks a repeat; a chain that reaches the threshold goes to the leads."""
    settings = deps.settings
    past = rules.mark_repeat(
        session=session, review=review, past_id=past_id, user_id=user_id, leads=settings.leads
    )
    _post(client, review, *render.repeat_marked(user_id, past))
    chain = rules.due_escalation(
        session=session,
        review=review,
        threshold=settings.repeat_threshold,
        window_days=settings.repeat_window_days,
    )
    if chain is None:
        return
    actions = store.actions_of(session=session, review_ids=[r.id for r in chain])
    where = _escalate(client, deps, chain, actions)
    note = render.escalated_note(len(chain), settings.repeat_window_days, where)
    _post(client, review, *note)


def _escalate(client: WebClient, deps: Deps, chain: list[Review], actions: list) -> str:
    """Post the escalation to the leads' channel, else DM each lead; say where it went."""
    settings = deps.settings
    window = settings.repeat_window_days
    if settings.leads_channel:
        text, blocks = render.escalation_message(
            chain, actions, window_days=window, show_confidential=False
        )
        client.chat_postMessage(channel=settings.leads_channel, text=text, blocks=blocks)
        return f"<#{settings.leads_channel}>"
    if not settings.leads:
        return "nobody: set AARBOT_LEADS_CHANNEL or AARBOT_LEADS"
    text, blocks = render.escalation_message(
        chain, actions, window_days=window, show_confidential=True
    )
    for lead in settings.leads:
        try:
            dm = client.conversations_open(users=lead)["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text, blocks=blocks)
        except SlackApiError as err:
            # One lead who cannot be DMed (deactivated) must not stop the others.
            log.warning("could not DM lead %s: %s", lead, err.response.get("error"))
    return "the leads (" + ", ".join(f"<@{lead}>" for lead in settings.leads) + ")"
