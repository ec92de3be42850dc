"""Events API bodies exactly as Slack sends them (JSON, signed like other requests)."""

from __future__ import annotations

import itertools
import json
import secrets
import time
import uuid
from typing import Any

from bot.standin.state import APP_ID, BOT_USER_ID, TEAM_ID

_counter = itertools.count(1)


def _event_ts() -> str:
    # Unique even when called twice in the same microsecond.
    return f"{int(time.time())}.{next(_counter) % 1_000_000:06d}"


def _channel_type(channel: str) -> str:
    if channel.startswith("D"):
        return "im"
    if channel.startswith("G"):
        return "group"
    return "channel"


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
) -> str:
    """The JSON envelope Slack wraps around every Events API event."""
    envelope = {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):04d}{secrets.token_hex(4).upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(12)}",
    }
    return json.dumps(envelope)


def url_verification(challenge: str) -> str:
    """The JSON body Slack sends to check an Events API request URL."""
    return json.dumps(
        {"token": "verification-token", "challenge": challenge, "type": "url_verification"}
    )


def message_event(
    *,
    channel: str,
    user: str,
    text: str,
    ts: str,
    thread_ts: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A `message` event: a person's post, a thread reply, or a bot's message."""
    event: dict[str, Any] = {"type": "message"}
    if subtype:
        event["subtype"] = subtype
    event |= {"user": user, "text": text, "ts": ts, "team": TEAM_ID}
    if bot_id:
        event["bot_id"] = bot_id
    elif not subtype:
        # People's messages carry a client id; bots' and system messages do not.
        event["client_msg_id"] = str(uuid.uuid4())
    if thread_ts:
        event["thread_ts"] = thread_ts
    event |= {"channel": channel, "event_ts": ts, "channel_type": _channel_type(channel)}
    event.update(extra)
    return event


def message_changed_event(
    *,
    channel: str,
    user: str,
    text: str,
    ts: str,
    previous_text: str = "",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A `message_changed` event: `ts` is the edited message, `text` its new text."""
    event_ts = _event_ts()
    message: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "team": TEAM_ID,
        "edited": {"user": user, "ts": event_ts},
    }
    previous: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": previous_text,
        "ts": ts,
        "team": TEAM_ID,
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
        previous["thread_ts"] = thread_ts
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": message,
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": _channel_type(channel),
    }


def message_deleted_event(
    *,
    channel: str,
    ts: str,
    user: str | None = None,
    previous_text: str = "",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A `message_deleted` event: `ts` is the message that was deleted."""
    event_ts = _event_ts()
    previous: dict[str, Any] = {"type": "message", "text": previous_text, "ts": ts}
    if user:
        previous["user"] = user
    if thread_ts:
        previous["thread_ts"] = thread_ts
    return {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "deleted_ts": ts,
        "channel_type": _channel_type(channel),
    }


def app_home_opened_event(
    user: str, *, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An `app_home_opened` event for a user opening the app's Home tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": tab,
        "event_ts": _event_ts(),
    }
    if view is not None:
        event["view"] = view
    return event
