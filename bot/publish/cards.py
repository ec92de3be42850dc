"""Posting "What we learned" cards and keeping them current as their actions change."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.publish.posting import can_post_in
from bot.runtime.deps import Deps
from bot.slack.blocks.lessons import lesson_card
from flows import lessons as rules
from storage import lessons as store
from storage.models import Lesson, Review

log = logging.getLogger("aarbot.sharing")

WHY = {
    "not_in_channel": "I am not in it: invite me with `/invite @aarbot`, then share again",
    "channel_not_found": "I cannot see it: invite me with `/invite @aarbot`, then share again",
    "is_archived": "it is archived",
    "restricted_action": "posting there is restricted",
}


def _renderer(session: Session, deps: Deps, review: Review) -> Callable[[Lesson], tuple]:
    """Renders each card of one review; the review's facts are read once for all of them."""
    facts = rules.card(
        session=session, review=review, template=deps.template(review.template), lesson=""
    )
    return lambda lesson: lesson_card(
        replace(facts, lesson=lesson.text), shared_by=lesson.shared_by
    )


def post_cards(
    client: WebClient, session: Session, deps: Deps, review: Review, cards: Sequence[Lesson]
) -> dict[str, str]:
    """Post (or update in place) each card; return why each channel that failed did."""
    failed: dict[str, str] = {}
    render = _renderer(session, deps, review)
    for lesson in cards:
        text, blocks = render(lesson)
        try:
            if lesson.message_ts:
                client.chat_update(
                    channel=lesson.channel_id, ts=lesson.message_ts, text=text, blocks=blocks
                )
                continue
            if not can_post_in(client, lesson.channel_id, deps.channels):
                failed[lesson.channel_id] = WHY["not_in_channel"]
                continue
            posted = client.chat_postMessage(channel=lesson.channel_id, text=text, blocks=blocks)
            lesson.message_ts = posted["ts"]
            session.add(lesson)
        except SlackApiError as err:
            code = err.response.get("error", "")
            failed[lesson.channel_id] = WHY.get(code, f"Slack answered {code or 'an error'}")
    session.flush()
    return failed


def refresh_cards(client: WebClient, session: Session, deps: Deps, review: Review) -> None:
    """Update every posted card of this review; a card that cannot be updated is only logged."""
    posted = [c for c in store.cards_of(session=session, review_id=review.id) if c.message_ts]
    if not posted:
        return
    render = _renderer(session, deps, review)
    for lesson in posted:
        text, blocks = render(lesson)
        try:
            client.chat_update(
                channel=lesson.channel_id, ts=lesson.message_ts, text=text, blocks=blocks
            )
        except SlackApiError as err:
            # A deleted card or an archived channel must not undo the change that triggered this.
            log.warning(
                "could not update the lesson card of review %s in %s: %s",
                review.id,
                lesson.channel_id,
                err.response.get("error"),
            )
