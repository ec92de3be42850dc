"""The shortcuts: "Start a review" anywhere, and "Review this message" on a message."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime.deps import Deps
from bot.slack.blocks.modals import metadata, start_modal
from bot.slack.listeners.session import deps_of, opens_modal


@opens_modal
def start_anywhere(shortcut: dict, client: WebClient, context: BoltContext) -> None:
    """Global shortcut: the start modal, with a channel picker."""
    deps: Deps = deps_of(context)
    view = start_modal(templates=deps.templates.templates, meta=metadata(), ask_channel=True)
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)


@opens_modal
def start_from_message(shortcut: dict, client: WebClient, context: BoltContext) -> None:
    """Message shortcut: the start modal with "what happened" taken from the message."""
    deps: Deps = deps_of(context)
    channel = shortcut["channel"]["id"]
    message = shortcut.get("message") or {}
    text = message.get("text") or ""
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=message["ts"])["permalink"]
    except SlackApiError:
        link = None  # a private channel the app is not in yet: no link until it is invited
    author = message.get("user")
    note = (f"From <@{author}>'s message" if author else "From a message") + (
        f" · <{link}|open it>" if link else ""
    )
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    view = start_modal(
        templates=deps.templates.templates,
        meta=metadata(channel=channel, response_url=shortcut.get("response_url"), source=link),
        title=first_line[:80],
        what_happened=text,
        source_note=note,
    )
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)
