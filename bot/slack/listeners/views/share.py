"""The Share lesson modal's submission: keep the lesson, post the cards, say where they went."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import cards as sharing
from bot.publish import posting
from bot.publish.home import refresh_review_homes
from bot.runtime.deps import Deps
from bot.slack.blocks.review import note
from bot.slack.ids import Block
from bot.slack.ids import Option as Opt
from bot.slack.listeners.session import Later, submission
from bot.slack.listeners.views import values
from flows import lessons as rules
from storage import lessons as store
from storage import reviews

FIELDS = {"lesson": Block.LESSON, "channels": Block.SHARE_TO, "confirm": Block.CONFIRM}


@submission
def submit_share(
    ack: Ack,
    body: dict,
    view: dict,
    session: Session,
    deps: Deps,
    later: Later,
) -> None:
    """Check the modal and keep the lesson before the ack, then post the cards after it."""
    meta = values.meta(view)
    lesson = values.text(view, Block.LESSON).strip()
    channels = values.conversations(view, Block.SHARE_TO)
    review = reviews.get_review(session=session, review_id=int(meta["review"]))
    if review is None:
        ack(response_action="errors", errors={Block.LESSON: "That review no longer exists."})
        return
    errors = rules.check_share(
        lesson=lesson,
        channels=channels,
        confidential=review.confidential,
        confirmed=Opt.SHARE_CONFIDENTIAL in values.checked(view, Block.CONFIRM),
    )
    user_id = body["user"]["id"]
    try:
        rules.require_shareable(review, user_id, deps.settings.leads)
    except rules.ShareError as refusal:
        errors.setdefault("lesson", str(refusal))
    if errors:
        ack(response_action="errors", errors={FIELDS[k]: v for k, v in errors.items()})
        return
    ack()  # Slack gets it once the lesson is committed; the cards are posted after
    for c in channels:
        store.save_lesson(
            session=session, review_id=review.id, channel_id=c, text=lesson, shared_by=user_id
        )
    later(share_cards, review_id=review.id, user_id=user_id, channels=channels)


def share_cards(
    *,
    session: Session,
    client: WebClient,
    deps: Deps,
    review_id: int,
    user_id: str,
    channels: list[str],
) -> None:
    """After the ack: post (or update) the lesson's card in each channel, and say where it
    went in the thread, or privately where it could not go."""
    review = reviews.get_review(session=session, review_id=review_id)
    if review is None:
        return
    cards = [
        c for c in store.cards_of(session=session, review_id=review_id) if c.channel_id in channels
    ]
    failed = sharing.post_cards(client, session, deps, review, cards)
    shared = [c.channel_id for c in cards if c.message_ts and c.channel_id not in failed]
    if shared:
        rules.mark_shared(review)
    session.commit()  # where each card went, before anything else can fail
    if shared:
        where = ", ".join(f"<#{c}>" for c in shared)
        said = note(f"<@{user_id}> shared the lesson to {where}.")
        posting.post_to_thread(client, review, "Lesson shared", said)
        posting.refresh(client, session, deps, review)
        refresh_review_homes(client, session, deps, review)
    if failed:
        lines = "\n".join(f"• <#{c}>: {why}" for c, why in failed.items())
        posting.tell(
            client,
            review,
            user_id,
            f"The lesson is saved, but I could not post it to:\n{lines}",
        )
