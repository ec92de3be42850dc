"""Thread replies become answers; edits and deletions follow them; retries change nothing."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.runner import TryLater
from bot.publish import posting, repeats
from bot.runtime.deps import Deps
from bot.slack.blocks.review import coaching_note
from bot.slack.listeners.session import after_ack
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
    subtype = event.get("subtype")
    handle = _HANDLERS.get(subtype)
    if handle is None:
        return
    message = _message_of(event)
    if subtype != "message_deleted" and not _is_from_a_person(message):
        return
    review = _thread_review(session, event["channel"], message)
    # Only a message in a review's thread is claimed (a write): the rest of the channel's
    # chatter, the bot's own posts included, costs one read.
    if review is None:
        if _maybe_a_review_being_posted(message, context):
            # The review's own job may have posted its message but not yet recorded it.
            raise TryLater(1.0, "the thread is not a review's, or not recorded as one yet", 30)
        return
    # End the read first: on SQLite a transaction that read and then writes fails at once if
    # another one wrote meanwhile, while one that starts by writing waits its turn.
    session.commit()
    if body.get("event_id") and not claim_event(
        session=session, event_id=body["event_id"], team_id=context.team_id or ""
    ):
        return
    session.refresh(review)  # as it is now that this transaction writes
    handle(message, review, client, session, deps)


def _maybe_a_review_being_posted(message: dict, context: BoltContext) -> bool:
    thread_ts = message.get("thread_ts")
    if not thread_ts or thread_ts == message.get("ts"):
        return False
    parent = message.get("parent_user_id")
    return parent is None or parent == context.bot_user_id


def _message_of(event: dict) -> dict:
    """The message an event is about: itself, the edited one, or the deleted one."""
    if event.get("subtype") == "message_changed":
        return event.get("message") or {}
    if event.get("subtype") == "message_deleted":
        return {**(event.get("previous_message") or {}), "ts": event["deleted_ts"]}
    return event


def _thread_review(session: Session, channel: str, message: dict) -> Review | None:
    thread_ts = message.get("thread_ts")
    if not thread_ts or thread_ts == message.get("ts"):
        return None
    return store.get_review_by_thread(session=session, channel_id=channel, thread_ts=thread_ts)


def _replied(
    message: dict, review: Review, client: WebClient, session: Session, deps: Deps
) -> None:
    recorded = rules.record_reply(
        session=session,
        review=review,
        template=deps.template(review.template),
        author_id=message["user"],
        text=message.get("text") or "",
        message_ts=message["ts"],
    )
    if recorded is None:
        return
    session.commit()  # the answer is kept even if the Slack calls below fail
    if recorded.blame:
        posting.tell(client, review, message["user"], coaching_note(recorded.blame))
    posting.refresh(client, session, deps, review)
    repeats.suggest_similar(client, session, deps, review)


def _changed(
    message: dict, review: Review, client: WebClient, session: Session, deps: Deps
) -> None:
    edited = rules.edit_reply(
        session=session, review=review, message_ts=message["ts"], text=message.get("text") or ""
    )
    if edited is None:
        return
    session.commit()
    if edited[1]:
        posting.tell(client, review, message["user"], coaching_note(edited[1]))


def _deleted(
    message: dict, review: Review, client: WebClient, session: Session, deps: Deps
) -> None:
    if rules.delete_reply(session=session, review=review, message_ts=message["ts"]):
        session.commit()
        posting.refresh(client, session, deps, review)


_HANDLERS = {
    None: _replied,
    "thread_broadcast": _replied,
    "file_share": _replied,
    "message_changed": _changed,
    "message_deleted": _deleted,
}
