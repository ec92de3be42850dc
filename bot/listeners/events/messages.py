"""Thread replies become answers; edits and deletions follow them; retries change nothing."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot import posting, repeats
from bot.blocks.review import coaching_note
from bot.deps import Deps
from bot.listeners.session import after_ack
from flows import review as rules
from storage import reviews as store
from storage.events import claim_event
from storage.models import Review


def _is_from_a_person(message: dict) -> bool:
    return bool(message.get("user")) and not message.get("bot_id")


@after_ack
def on_message(
    event: dict,
    body: dict,
    client: WebClient,
    context: BoltContext,
    session: Session,
    deps: Deps,
) -> None:
    """A message in a channel: record, update or remove an answer if it is in a review thread."""
    if body.get("event_id") and not claim_event(
        session=session, event_id=body["event_id"], team_id=context.team_id or ""
    ):
        return
    subtype = event.get("subtype")
    if subtype == "message_changed":
        _changed(event, client, session, deps)
    elif subtype == "message_deleted":
        _deleted(event, client, session, deps)
    elif subtype in (None, "thread_broadcast", "file_share"):
        _replied(event, client, session, deps)


def _thread_review(session: Session, channel: str, message: dict) -> Review | None:
    thread_ts = message.get("thread_ts")
    if not thread_ts or thread_ts == message.get("ts"):
        return None
    return store.get_review_by_thread(session=session, channel_id=channel, thread_ts=thread_ts)


def _replied(event: dict, client: WebClient, session: Session, deps: Deps) -> None:
    if not _is_from_a_person(event):
        return
    review = _thread_review(session, event["channel"], event)
    if review is None:
        return
    recorded = rules.record_reply(
        session=session,
        review=review,
        template=deps.template(review.template),
        author_id=event["user"],
        text=event.get("text") or "",
        message_ts=event["ts"],
    )
    if recorded is None:
        return
    session.commit()  # the answer is kept even if the Slack calls below fail
    if recorded.blame:
        posting.tell(client, review, event["user"], coaching_note(recorded.blame))
    posting.refresh(client, session, deps, review)
    repeats.suggest_similar(client, session, deps, review)


def _changed(event: dict, client: WebClient, session: Session, deps: Deps) -> None:
    message = event.get("message") or {}
    if not _is_from_a_person(message):
        return
    review = _thread_review(session, event["channel"], message)
    if review is None:
        return
    edited = rules.edit_reply(
        session=session, review=review, message_ts=message["ts"], text=message.get("text") or ""
    )
    session.commit()
    if edited and edited[1]:
        posting.tell(client, review, message["user"], coaching_note(edited[1]))


def _deleted(event: dict, client: WebClient, session: Session, deps: Deps) -> None:
    previous = event.get("previous_message") or {}
    review = _thread_review(session, event["channel"], {**previous, "ts": event["deleted_ts"]})
    if review is None:
        return
    if rules.delete_reply(session=session, review=review, message_ts=event["deleted_ts"]):
        session.commit()
        posting.refresh(client, session, deps, review)
