"""response_url posts, handled the way Slack handles them."""

from __future__ import annotations

import copy
from typing import Any

from bot.standin import blockcheck
from bot.standin.state import BOT_USER_ID, ResponseTarget, WorkspaceState


def post_response(state: WorkspaceState, name: str, body: Any) -> tuple[int, dict[str, Any]]:
    """Apply one response_url post; return the HTTP status and JSON body Slack would send."""
    with state.lock:
        target = state.response_targets.get(name, ResponseTarget())
        record: dict[str, Any] = {"name": name, "body": copy.deepcopy(body), "error": None}
        if isinstance(body, dict):
            # What Slack did with it: ephemeral unless the app asked for in_channel.
            record["response_type"] = body.get("response_type") or "ephemeral"
        state.responses.append(record)
        status, answer = _apply(state, target, body)
        record["ok"] = answer["ok"]
        record["error"] = answer.get("error")
        return status, answer


def _apply(state: WorkspaceState, target: ResponseTarget, body: Any) -> tuple[int, dict[str, Any]]:
    if not isinstance(body, dict):
        return 400, {"ok": False, "error": "invalid_payload"}
    if state.block_checks:
        problems = blockcheck.check_message(body.get("text"), body.get("blocks"))
        if problems:
            for problem in problems:
                state.violate("response_url", problem)
            return 400, {"ok": False, "error": "invalid_blocks"}
    if _truthy(body.get("delete_original")):
        _delete_original(state, target)
        return 200, {"ok": True}
    if not (body.get("text") or body.get("blocks") or body.get("attachments")):
        return 400, {"ok": False, "error": "no_text"}
    if _truthy(body.get("replace_original")):
        _replace_original(state, target, body)
    elif body.get("response_type") == "in_channel" and target.channel:
        state.add_message(
            target.channel,
            BOT_USER_ID,
            body.get("text") or "",
            thread_ts=body.get("thread_ts"),
            blocks=body.get("blocks"),
            attachments=body.get("attachments"),
        )
    else:
        # Slack's default for response_url is an ephemeral reply to whoever acted.
        _add_ephemeral(state, target, body)
    return 200, {"ok": True}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"1", "true"}
    return bool(value)


def _original(state: WorkspaceState, target: ResponseTarget) -> dict[str, Any] | None:
    if not (target.channel and target.message_ts):
        return None
    channel = state.resolve_channel(target.channel)
    return state.find_message(channel.id, target.message_ts) if channel else None


def _delete_original(state: WorkspaceState, target: ResponseTarget) -> None:
    message = _original(state, target)
    channel = state.resolve_channel(target.channel) if target.channel else None
    if message is not None and channel is not None:
        state.messages[channel.id].remove(message)
        return
    # Without a stored message the original was ephemeral: it simply disappears.
    for ephemeral in reversed(state.ephemerals):
        if ephemeral["user"] == target.user and ephemeral["ts"] == target.message_ts:
            state.ephemerals.remove(ephemeral)
            return


def _replace_original(state: WorkspaceState, target: ResponseTarget, body: dict) -> None:
    message = _original(state, target)
    if message is not None:
        message["text"] = body.get("text") or ""
        message["blocks"] = body.get("blocks")
        message["attachments"] = body.get("attachments")
        message["edited"] = {"user": BOT_USER_ID, "ts": state.next_ts()}
        return
    for ephemeral in reversed(state.ephemerals):
        if ephemeral["user"] == target.user and ephemeral["ts"] == target.message_ts:
            ephemeral.update(text=body.get("text") or "", blocks=body.get("blocks"))
            return
    _add_ephemeral(state, target, body)


def _add_ephemeral(state: WorkspaceState, target: ResponseTarget, body: dict) -> None:
    state.ephemerals.append(
        {
            "channel": target.channel,
            "user": target.user,
            "ts": state.next_ts(),
            "text": body.get("text") or "",
            "blocks": body.get("blocks"),
            "attachments": body.get("attachments"),
            "thread_ts": body.get("thread_ts"),
            "source": "response_url",
        }
    )
