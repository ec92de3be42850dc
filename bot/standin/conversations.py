"""conversations.* methods: DMs, channel info and membership, history and threads."""

from __future__ import annotations

import copy
from typing import Any

from bot.standin.state import BOT_USER_ID, Channel, WorkspaceState
from bot.standin.users import channel_info


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def visible_channel(state: WorkspaceState, ref: Any) -> Channel | None:
    """The channel if the bot can see it (public, or private with the bot in it)."""
    channel = state.resolve_channel(str(ref)) if ref else None
    if channel is None or (channel.is_private and BOT_USER_ID not in channel.members):
        return None
    return channel


def public_message(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the API returns it (without the stand-in's bookkeeping)."""
    return {k: v for k, v in copy.deepcopy(message).items() if k != "channel"}


def conversations_open(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.open: the bot's DM with one user (stable id per user)."""
    users = args.get("users") or ""
    if isinstance(users, str):
        users = [u.strip() for u in users.split(",") if u.strip()]
    if not users:
        existing = visible_channel(state, args.get("channel"))
        if existing is None:
            return _error("channel_not_found")
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": existing.id}}
    problem = _dm_problem(state, users)
    if problem:
        return _error(problem)
    already = ("D" + users[0][1:]) in state.channels
    channel = state.dm_channel(users[0])
    body: dict[str, Any] = {"ok": True, "channel": {"id": channel.id}}
    if already:
        body |= {"no_op": True, "already_open": True}
    return body


def _dm_problem(state: WorkspaceState, users: list[str]) -> str | None:
    for user_id in users:
        user = state.users.get(user_id)
        if user is None:
            return "user_not_found"
        if user.deleted:
            return "user_disabled"
    if len(users) > 1:
        return "method_not_supported_for_channel_type"  # group DMs are not modelled
    return "cannot_dm_bot" if state.users[users[0]].is_bot else None


def conversations_info(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.info: name, privacy and membership of a channel the bot can see."""
    channel = visible_channel(state, args.get("channel"))
    if channel is None:
        return _error("channel_not_found")
    return {"ok": True, "channel": channel_info(channel)}


def conversations_members(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.members: member ids of a channel the bot can see."""
    channel = visible_channel(state, args.get("channel"))
    if channel is None:
        return _error("channel_not_found")
    return {
        "ok": True,
        "members": sorted(channel.members),
        "response_metadata": {"next_cursor": ""},
    }


def conversations_join(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.join: the bot joins a public channel."""
    channel = state.resolve_channel(str(args.get("channel") or ""))
    if channel is None:
        return _error("channel_not_found")
    if channel.is_private or channel.is_im:
        return _error("method_not_supported_for_channel_type")
    body: dict[str, Any] = {"ok": True}
    if BOT_USER_ID in channel.members:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    channel.members.add(BOT_USER_ID)
    return body | {"channel": channel_info(channel)}


def _readable(state: WorkspaceState, args: dict[str, Any]) -> tuple[Channel | None, str | None]:
    channel = visible_channel(state, args.get("channel"))
    if channel is None:
        return None, "channel_not_found"
    if not channel.is_im and BOT_USER_ID not in channel.members:
        return None, "not_in_channel"
    return channel, None


def _history_scope(state: WorkspaceState, channel: Channel) -> dict[str, Any] | None:
    """Slack's missing_scope answer when the token may not read this kind of conversation."""
    if channel.is_im:
        needed = "im:history"
    elif channel.is_private:
        needed = "groups:history"
    else:
        needed = "channels:history"
    if needed in state.scopes:
        return None
    return {
        "ok": False,
        "error": "missing_scope",
        "needed": needed,
        "provided": ",".join(state.scopes),
    }


def _ts(value: Any, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _shown(message: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    shown = public_message(message)
    # Slack returns a message's metadata only to a caller that asks for it.
    if not _flag(args.get("include_all_metadata")):
        shown.pop("metadata", None)
    return shown


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _page(
    messages: list[dict[str, Any]], args: dict[str, Any], *, default_limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Messages between `oldest` and `latest` (exclusive unless `inclusive`), up to `limit`."""
    oldest = _ts(args.get("oldest"), 0.0)
    latest = _ts(args.get("latest"), float("inf"))
    inclusive = _flag(args.get("inclusive"))

    def within(message: dict[str, Any]) -> bool:
        ts = float(message["ts"])
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    found = [m for m in messages if within(m)]
    limit = int(args.get("limit") or default_limit)
    return found[:limit], len(found) > limit


def conversations_history(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.history: top-level messages (and broadcasts), newest first.

    Takes `oldest`, `latest`, `inclusive` and `limit`; a message's `metadata` comes back only
    with `include_all_metadata`. Reading a DM needs im:history (private channels
    groups:history, public ones channels:history), as in Slack.
    """
    channel, problem = _readable(state, args)
    if channel is None:
        return _error(problem or "channel_not_found")
    refused = _history_scope(state, channel)
    if refused:
        return refused
    top_level = [
        m
        for m in reversed(state.messages[channel.id])
        if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
    ]
    page, more = _page(top_level, args, default_limit=100)
    return {
        "ok": True,
        "messages": [_shown(m, args) for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": ""},
    }


def conversations_replies(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.replies: a thread's parent and replies, oldest first.

    Takes `oldest`, `latest`, `inclusive`, `limit` and `include_all_metadata` like history.
    """
    channel, problem = _readable(state, args)
    if channel is None:
        return _error(problem or "channel_not_found")
    refused = _history_scope(state, channel)
    if refused:
        return refused
    ts = str(args.get("ts") or "")
    if state.find_message(channel.id, ts) is None:
        return _error("thread_not_found")
    thread = [m for m in state.messages[channel.id] if m["ts"] == ts or m.get("thread_ts") == ts]
    page, more = _page(thread, args, default_limit=1000)
    return {
        "ok": True,
        "messages": [_shown(m, args) for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": ""},
    }
