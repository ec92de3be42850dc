"""views.* methods: modals (open, push, update) and the App Home tab (publish)."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from bot.standin import blockcheck
from bot.standin.state import APP_ID, WorkspaceState


def _error(code: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": code, **extra}


def _new_hash() -> str:
    # Slack's hashes look like "1596530361.3wRYuk3R": a time and a random tail.
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def _refuse(state: WorkspaceState, method: str, view: dict[str, Any]) -> dict[str, Any] | None:
    if not state.block_checks:
        return None
    problems = blockcheck.check_view(view)
    if not problems:
        return None
    for problem in problems:
        state.violate(method, problem)
    return _error(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
    )


def _materialise(
    workspace: WorkspaceState, view: dict[str, Any], view_id: str, /, **fields: Any
) -> dict[str, Any]:
    # The view object Slack hands back: what the app sent plus Slack's own bookkeeping, in
    # the team whose token opened it. (`fields` may include the view's own `state`.)
    team = workspace.caller
    stored = {
        "id": view_id,
        "team_id": team.id,
        "type": view.get("type"),
        "blocks": copy.deepcopy(view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": _new_hash(),
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": team.id,
        "bot_id": team.bot_id,
    }
    stored.update(fields)
    return stored


def _open(state: WorkspaceState, method: str, args: dict[str, Any]) -> dict[str, Any]:
    trigger_id = args.get("trigger_id")
    if not trigger_id:
        return _error("invalid_arguments")
    if trigger_id in state.used_triggers:
        # As Slack: a trigger opens one modal; a second views.open with it (a double click
        # answered twice) is refused.
        return _error("exchanged_trigger_id")
    view = args.get("view")
    if not isinstance(view, dict):
        return _error("invalid_arguments")
    refused = _refuse(state, method, view)
    if refused:
        return refused
    if view.get("type") != "modal":
        return _error("invalid_arguments")
    state.used_triggers.add(str(trigger_id))
    view_id = state.next_id("V")
    extra: dict[str, Any] = {}
    if method == "views.push" and state.views:
        previous = next(reversed(state.views.values()))
        extra = {"previous_view_id": previous["id"], "root_view_id": previous["root_view_id"]}
    stored = _materialise(state, view, view_id, **extra)
    state.views[view_id] = stored
    state.view_triggers[str(args["trigger_id"])] = view_id
    return {"ok": True, "view": copy.deepcopy(stored)}


def views_open(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """views.open: open a modal for a trigger."""
    return _open(state, "views.open", args)


def views_push(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """views.push: push a modal onto the open stack."""
    return _open(state, "views.push", args)


def views_update(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """views.update: replace an open modal, refusing a stale hash."""
    view_id, external_id = args.get("view_id"), args.get("external_id")
    if not view_id and not external_id:
        return _error("invalid_arguments")
    current = state.views.get(str(view_id)) if view_id else None
    if current is None and external_id:
        current = next(
            (v for v in state.views.values() if v.get("external_id") == external_id), None
        )
    if current is None:
        return _error("not_found")
    if args.get("hash") and args["hash"] != current["hash"]:
        return _error("hash_conflict")
    view = args.get("view")
    if not isinstance(view, dict):
        return _error("invalid_arguments")
    refused = _refuse(state, "views.update", view)
    if refused:
        return refused
    stored = _materialise(
        state,
        view,
        current["id"],
        state=current["state"],
        previous_view_id=current["previous_view_id"],
        root_view_id=current["root_view_id"],
        external_id=view.get("external_id", current.get("external_id", "")),
    )
    state.views[current["id"]] = stored
    return {"ok": True, "view": copy.deepcopy(stored)}


def views_publish(state: WorkspaceState, args: dict[str, Any]) -> dict[str, Any]:
    """views.publish: set a user's App Home tab."""
    user_id = str(args.get("user_id") or "")
    if user_id not in state.users:
        return _error("user_not_found")
    current = state.homes.get(user_id)
    if current is not None and args.get("hash") and args["hash"] != current["hash"]:
        return _error("hash_conflict")
    view = args.get("view")
    if not isinstance(view, dict):
        return _error("invalid_arguments")
    refused = _refuse(state, "views.publish", view)
    if refused:
        return refused
    if view.get("type") != "home":
        return _error("invalid_arguments")
    view_id = current["id"] if current else state.next_id("V")
    stored = _materialise(state, view, view_id)
    state.homes[user_id] = stored
    return {"ok": True, "view": copy.deepcopy(stored)}
