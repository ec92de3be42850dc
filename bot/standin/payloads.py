"""Request bodies exactly as Slack sends them: slash commands and interactivity."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from bot.standin.events import (
    app_home_opened_event,
    event_callback,
    message_changed_event,
    message_deleted_event,
    message_event,
    url_verification,
)
from bot.standin.state import APP_ID, TEAM_DOMAIN, TEAM_ID

__all__ = [
    "app_home_opened_event",
    "block_actions",
    "checkboxes_value",
    "conversations_value",
    "date_value",
    "event_callback",
    "message_changed_event",
    "message_deleted_event",
    "message_event",
    "message_shortcut",
    "new_trigger_id",
    "option_value",
    "shortcut",
    "slash_command",
    "text_value",
    "url_verification",
    "user_value",
    "users_value",
    "view_submission",
]

# Slack's legacy verification token; Bolt ignores it but real payloads carry one.
VERIFICATION_TOKEN = "verification-token"  # noqa: S105 - a public placeholder
_CHANNEL_NAMES = {
    "C0GENERAL": "general",
    "C0OPS": "ops",
    "G0SECRET": "secret",
    "C0LESSONS": "lessons",
}
_counter = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger id shaped like Slack's (`123.456.hex`)."""
    return f"{next(_counter)}{int(time.time())}.1001.{secrets.token_hex(16)}"


def _user_name(user_id: str) -> str:
    return user_id.removeprefix("U0").lower() if user_id.startswith("U0") else user_id.lower()


def _channel_name(channel_id: str) -> str:
    if channel_id.startswith("D"):
        return "directmessage"
    return _CHANNEL_NAMES.get(channel_id, channel_id.lower())


def _user(user_id: str, team_id: str) -> dict[str, str]:
    name = _user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team_id: str) -> dict[str, str]:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def _form_payload(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def slash_command(
    *,
    text: str = "",
    user_id: str,
    channel_id: str,
    team_id: str = TEAM_ID,
    command: str = "/aar",
    trigger_id: str | None = None,
    response_url: str,
) -> str:
    """The form body of a slash command invocation."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": _channel_name(channel_id),
        "user_id": user_id,
        "user_name": _user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields)


def block_actions(
    *,
    user_id: str,
    action_id: str,
    value: str | None = None,
    block_id: str = "b",
    channel_id: str | None = None,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    view: dict[str, Any] | None = None,
    selected_date: str | None = None,
    selected_option: str | dict[str, Any] | None = None,
    selected_user: str | None = None,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
    message: dict[str, Any] | None = None,
    ephemeral: bool = False,
) -> str:
    """The form body of a `block_actions` payload (a button, date picker, select or user pick).

    A click in an `ephemeral` message carries its container but, as in Slack, no message.
    """
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id}
    if selected_date is not None:
        action |= {"type": "datepicker", "selected_date": selected_date}
    elif selected_option is not None:
        option = selected_option if isinstance(selected_option, dict) else _option(selected_option)
        action |= {"type": "static_select", "selected_option": option}
    elif selected_user is not None:
        action |= {"type": "users_select", "selected_user": selected_user}
    else:
        action |= {"type": "button", "text": {"type": "plain_text", "text": "Button"}}
        if value is not None:
            action["value"] = value
    action["action_ts"] = f"{time.time():.6f}"

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {},
        "trigger_id": trigger_id or new_trigger_id(),
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        payload["view"] = view
    elif message_ts is not None:
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": ephemeral,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        payload["container"] = container
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": _channel_name(channel_id)}
    if (message_ts is not None or message is not None) and not ephemeral:
        shown = dict(message) if message else {}
        shown.setdefault("type", "message")
        shown.setdefault("user", "U0BOT")
        shown.setdefault("text", "")
        shown.setdefault("ts", message_ts)
        shown.setdefault("blocks", [])
        if thread_ts:
            shown["thread_ts"] = thread_ts
        payload["message"] = shown
        payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [action]
    return _form_payload(payload)


def view_submission(
    *,
    user_id: str,
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    private_metadata: str = "",
    view_id: str | None = None,
    team_id: str = TEAM_ID,
    hash: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> str:
    """The form body of a `view_submission` payload; `values` is Slack's state.values."""
    view_id = view_id or f"V{secrets.token_hex(5).upper()}"
    payload = {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": hash or f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": {"type": "plain_text", "text": "aarbot", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "B0001",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _form_payload(payload)


def shortcut(
    *, callback_id: str, user_id: str, team_id: str = TEAM_ID, trigger_id: str | None = None
) -> str:
    """The form body of a global shortcut (`type: shortcut`)."""
    payload = {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return _form_payload(payload)


def message_shortcut(
    *,
    callback_id: str,
    user_id: str,
    channel_id: str,
    message: dict[str, Any],
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> str:
    """The form body of a message shortcut (`type: message_action`)."""
    payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": _channel_name(channel_id)},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "message_ts": message.get("ts"),
        "message": {"type": "message", **message},
        "response_url": response_url
        or f"https://hooks.slack.com/app/{team_id}/1/{secrets.token_hex(8)}",
    }
    return _form_payload(payload)


# --- state.values entries for view_submission ----------------------------------------


def text_value(value: str | None) -> dict[str, Any]:
    """A plain_text_input entry (Slack sends null for an empty input)."""
    return {"type": "plain_text_input", "value": value}


def users_value(user_ids: list[str]) -> dict[str, Any]:
    """A multi_users_select entry."""
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def user_value(user_id: str | None) -> dict[str, Any]:
    """A users_select entry."""
    return {"type": "users_select", "selected_user": user_id}


def date_value(date: str | None) -> dict[str, Any]:
    """A datepicker entry (`YYYY-MM-DD`)."""
    return {"type": "datepicker", "selected_date": date}


def option_value(value: str | None, text: str | None = None) -> dict[str, Any]:
    """A static_select entry."""
    option = None if value is None else _option(value, text)
    return {"type": "static_select", "selected_option": option}


def radio_value(value: str | None, text: str | None = None) -> dict[str, Any]:
    """A radio_buttons entry."""
    option = None if value is None else _option(value, text)
    return {"type": "radio_buttons", "selected_option": option}


def checkboxes_value(values: list[str]) -> dict[str, Any]:
    """A checkboxes entry."""
    return {"type": "checkboxes", "selected_options": [_option(v) for v in values]}


def conversations_value(channel_ids: list[str]) -> dict[str, Any]:
    """A multi_conversations_select entry."""
    return {"type": "multi_conversations_select", "selected_conversations": list(channel_ids)}
