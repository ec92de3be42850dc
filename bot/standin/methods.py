"""Web API methods: one function per method, `(state, args) -> response body`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.standin import blockcheck
from bot.standin.conversations import (
    conversations_history,
    conversations_info,
    conversations_join,
    conversations_members,
    conversations_open,
    conversations_replies,
    public_message,
    visible_channel,
)
from bot.standin.state import (
    APP_ID,
    BOT_USER_ID,
    Channel,
    WorkspaceState,
)
from bot.standin.users import user_info
from bot.standin.views import views_open, views_publish, views_push, views_update

Method = Callable[[WorkspaceState, dict[str, Any]], dict[str, Any]]


def error(code: str, **extra: Any) -> dict[str, Any]:
    """A Slack error body."""
    return {"ok": False, "error": code, **extra}


def flag(value: Any) -> bool:
    """Read a boolean the way Slack does from JSON or form input."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def message_metadata(value: Any) -> dict[str, Any] | None:
    """A message's `metadata` as Slack keeps it: event_type and event_payload (form: JSON)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict) or not value.get("event_type"):
        return None
    return {"event_type": value["event_type"], "event_payload": value.get("event_payload", {})}


def check_message(
    state: WorkspaceState, method: str, args: dict[str, Any]
) -> dict[str, Any] | None:
    """Block Kit problems as Slack's error body (and recorded violations), or None."""
    if not state.block_checks:
        return None
    problems = blockcheck.check_message(args.get("text"), args.get("blocks"))
    if not problems:
        return None
    for problem in problems:
        state.violate(method, problem)
    code = "msg_too_long" if problems[0].startswith("text is") else "invalid_blocks"
    return error(code, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


def writable_channel(state: WorkspaceState, ref: Any) -> tuple[Channel | None, str | None]:
    """The channel the bot may post to, or Slack's error for why it may not."""
    channel = state.resolve_channel(str(ref)) if ref else None
    if channel is None:
        return None, "channel_not_found"
    if channel.im_user is not None:
        user = state.users[channel.im_user]
        if user.is_bot:
            return None, "cannot_dm_bot"
        if user.deleted:
            return None, "user_disabled"
        return channel, None
    if BOT_USER_ID not in channel.members:
        # A bot cannot even see a private channel it is not in.
        return None, "channel_not_found" if channel.is_private else "not_in_channel"
    return channel, None


# --- auth, users -------------------------------------------------------------------


def auth_test(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """auth.test: who the token belongs to (the bot user of the token's team)."""
    team = state.caller
    return {
        "ok": True,
        "url": f"https://{team.domain}.slack.com/",
        "team": team.name,
        "user": state.users[BOT_USER_ID].name,
        "team_id": team.id,
        "user_id": team.bot_user_id,
        "bot_id": team.bot_id,
        "app_id": APP_ID,
        "is_enterprise_install": False,
    }


def users_info(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """users.info: one user's profile, including time zone."""
    user = state.users.get(str(args.get("user", "")))
    if user is None:
        return error("user_not_found")
    return {"ok": True, "user": user_info(user)}


# --- chat --------------------------------------------------------------------------


def chat_post_message(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage: post to a channel, a thread, or a user's DM."""
    channel, problem = writable_channel(state, args.get("channel"))
    if channel is None:
        return error(problem or "channel_not_found")
    if not (args.get("text") or args.get("blocks") or args.get("attachments")):
        return error("no_text")
    refused = check_message(state, "chat.postMessage", args)
    if refused:
        return refused
    thread_ts = args.get("thread_ts") or None
    broadcast = bool(thread_ts) and flag(args.get("reply_broadcast"))
    message = state.add_message(
        channel.id,
        BOT_USER_ID,
        args.get("text") or "",
        thread_ts=thread_ts,
        blocks=args.get("blocks"),
        attachments=args.get("attachments"),
        metadata=message_metadata(args.get("metadata")),
        subtype="thread_broadcast" if broadcast else None,
        reply_broadcast=True if broadcast else None,
    )
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message["ts"],
        "message": public_message(message),
    }


def chat_post_ephemeral(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postEphemeral: a message only one user in the channel sees."""
    channel, problem = writable_channel(state, args.get("channel"))
    if channel is None:
        return error(problem or "channel_not_found")
    user = str(args.get("user") or "")
    if user not in state.users:
        return error("user_not_found")
    if user not in channel.members:
        return error("user_not_in_channel")
    if not (args.get("text") or args.get("blocks") or args.get("attachments")):
        return error("no_text")
    refused = check_message(state, "chat.postEphemeral", args)
    if refused:
        return refused
    ts = state.next_ts()
    state.ephemerals.append(
        {
            "channel": channel.id,
            "user": user,
            "ts": ts,
            "text": args.get("text") or "",
            "blocks": args.get("blocks"),
            "attachments": args.get("attachments"),
            "thread_ts": args.get("thread_ts"),
            "source": "chat.postEphemeral",
        }
    )
    return {"ok": True, "message_ts": ts}


def _own_message(
    state: WorkspaceState, args: dict[str, Any], ts_key: str, not_mine: str
) -> tuple[Channel | None, dict[str, Any] | None, dict[str, Any] | None]:
    channel = visible_channel(state, args.get("channel"))
    if channel is None:
        return None, None, error("channel_not_found")
    message = state.find_message(channel.id, str(args.get(ts_key) or ""))
    if message is None:
        return channel, None, error("message_not_found")
    if message.get("user") != BOT_USER_ID:
        return channel, None, error(not_mine)
    return channel, message, None


def chat_update(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.update: replace the text and/or blocks of one of the bot's messages."""
    channel, message, failed = _own_message(state, args, "ts", "cant_update_message")
    if failed or channel is None or message is None:
        return failed or error("message_not_found")
    refused = check_message(state, "chat.update", args)
    if refused:
        return refused
    # Fields left out keep their old value, as Slack documents for chat.update.
    for key in ("text", "blocks", "attachments", "metadata"):
        if key in args and args[key] is not None:
            message[key] = message_metadata(args[key]) if key == "metadata" else args[key]
    message["edited"] = {"user": BOT_USER_ID, "ts": state.next_ts()}
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message["ts"],
        "text": message.get("text", ""),
        "message": public_message(message),
    }


def chat_delete(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.delete: remove one of the bot's messages."""
    channel, message, failed = _own_message(state, args, "ts", "cant_delete_message")
    if failed or channel is None or message is None:
        return failed or error("message_not_found")
    state.messages[channel.id].remove(message)
    return {"ok": True, "channel": channel.id, "ts": message["ts"]}


def chat_get_permalink(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.getPermalink: a web link to a message (with thread context for replies)."""
    channel = visible_channel(state, args.get("channel"))
    if channel is None:
        return error("channel_not_found")
    message = state.find_message(channel.id, str(args.get("message_ts") or ""))
    if message is None:
        return error("message_not_found")
    ts = message["ts"]
    link = f"https://{state.caller.domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
    parent = message.get("thread_ts")
    if parent and parent != ts:
        link += f"?thread_ts={parent}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.join": conversations_join,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
