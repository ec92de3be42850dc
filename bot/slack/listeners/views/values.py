"""Reading a view_submission's state.values into plain Python values."""

from __future__ import annotations

import json
from datetime import date
from typing import Any


def _entry(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    block = view.get("state", {}).get("values", {}).get(block_id) or {}
    return block.get(block_id) or next(iter(block.values()), {})


def text(view: dict[str, Any], block_id: str) -> str:
    """A plain_text_input's value ("" when empty)."""
    return _entry(view, block_id).get("value") or ""


def selected(view: dict[str, Any], block_id: str) -> str | None:
    """A static_select's chosen value."""
    option = _entry(view, block_id).get("selected_option") or {}
    return option.get("value")


def user(view: dict[str, Any], block_id: str) -> str | None:
    """A users_select's chosen user id."""
    return _entry(view, block_id).get("selected_user")


def users(view: dict[str, Any], block_id: str) -> list[str]:
    """A multi_users_select's chosen user ids."""
    return list(_entry(view, block_id).get("selected_users") or [])


def conversation(view: dict[str, Any], block_id: str) -> str | None:
    """A conversations_select's chosen channel id."""
    return _entry(view, block_id).get("selected_conversation")


def conversations(view: dict[str, Any], block_id: str) -> list[str]:
    """A multi_conversations_select's chosen channel ids."""
    return list(_entry(view, block_id).get("selected_conversations") or [])


def checked(view: dict[str, Any], block_id: str) -> set[str]:
    """The values of a checkboxes element's ticked options."""
    return {o.get("value") for o in _entry(view, block_id).get("selected_options") or []}


def day(view: dict[str, Any], block_id: str) -> date | None:
    """A datepicker's date."""
    raw = _entry(view, block_id).get("selected_date")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def meta(view: dict[str, Any]) -> dict[str, Any]:
    """The private_metadata we packed when opening the modal."""
    try:
        return json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}


def first_input(view: dict[str, Any]) -> str | None:
    """The block_id of the modal's first input, to hang an error on when nothing else fits."""
    return next(
        (b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"), None
    )
