"""Repeat detection in Slack: similar past reviews in the thread, and escalations to the leads."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.publish import posting
from bot.runtime.deps import Deps
from bot.slack.blocks import repeats as render
from flows import repeats as rules
from storage import repeats as store
from storage.models import Escalation, Review

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
        # The check is claimed (committed) before the post, so no lock is held while Slack
        # answers and a second process finds it taken.
        with session.begin_nested():
            check = store.record_check(
                session=session, review_id=review.id, similar_ids=[p.review.id for p in pasts]
            )
        session.commit()
    except IntegrityError:
        return  # another process compared this review at the same moment
    if not pasts:
        return
    try:
        check.message_ts = posting.post_to_thread(
            client, review, *render.similar_message(review, pasts)
        )
    except SlackApiError as err:
        # Let the next answer try again; the answer that brought us here is already kept.
        session.delete(check)
        log.warning(
            "could not post similar reviews for review %s: %s",
            review.id,
            err.response.get("error"),
        )


def mark_and_escalate(
    client: WebClient, session: Session, deps: Deps, review: Review, *, past_id: int, user_id: str
) -> None:
    """The facilitator marks a repeat; a chain that reaches the threshold goes to the leads."""
    settings = deps.settings
    past = rules.mark_repeat(
        session=session, review=review, past_id=past_id, user_id=user_id, leads=settings.leads
    )
    session.commit()  # the mark stands even if Slack fails below
    posting.post_to_thread(client, review, *render.repeat_marked(user_id, past))
    chain = rules.due_escalation(
        session=session,
        review=review,
        threshold=settings.repeat_threshold,
        window_days=settings.repeat_window_days,
    )
    if chain is None:
        return
    # The escalation is recorded in this transaction: if posting it fails, it is not
    # recorded, and clicking "Same failure again" once more tries again.
    escalation = store.escalation_of(session=session, review_id=review.id)
    actions = store.actions_of(session=session, review_ids=[r.id for r in chain])
    where = _escalate(client, deps, chain, actions, escalation)
    note = render.escalated_note(len(chain), settings.repeat_window_days, where)
    posting.post_to_thread(client, review, *note)


def _escalate(
    client: WebClient, deps: Deps, chain: list[Review], actions: list, escalation: Escalation | None
) -> str:
    """Post the escalation to the leads' channel, else DM each lead; say where it went."""
    settings = deps.settings
    window = settings.repeat_window_days
    if settings.leads_channel:
        text, blocks = render.escalation_message(
            chain, actions, window_days=window, show_confidential=False
        )
        posted = client.chat_postMessage(channel=settings.leads_channel, text=text, blocks=blocks)
        if escalation is not None:
            escalation.channel_id, escalation.message_ts = settings.leads_channel, posted["ts"]
        return f"<#{settings.leads_channel}>"
    if not settings.leads:
        return "nobody: set AARBOT_LEADS_CHANNEL or AARBOT_LEADS"
    text, blocks = render.escalation_message(
        chain, actions, window_days=window, show_confidential=True
    )
    for lead in settings.leads:
        try:
            client.chat_postMessage(channel=lead, text=text, blocks=blocks)  # the lead's DM
        except SlackApiError as err:
            # One lead who cannot be DMed (deactivated) must not stop the others.
            log.warning("could not DM lead %s: %s", lead, err.response.get("error"))
    return "the leads (" + ", ".join(f"<@{lead}>" for lead in settings.leads) + ")"
