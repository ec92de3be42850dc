"""A modal submitted twice is applied once.

Slack sends the same view id and hash again when a submit is double-clicked or retried, and
only a `views.update` changes the hash. So each view submission claims
"view:<view id>:<view hash>" in processed_events, in the listener's own transaction: the
second one finds it claimed (or waits for the first to commit it) and does nothing. A
submission answered with errors stores nothing, so its claim is dropped and the corrected
one goes through.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session

from storage.events import already_claimed, claim_for_change

_KEY_LIMIT = 64  # processed_events.event_id


def view_key(body: dict[str, Any]) -> str | None:
    """The claim a view submission makes, or None when it names no view id and hash."""
    view = body.get("view")
    if not isinstance(view, dict):
        return None
    view_id, view_hash = view.get("id"), view.get("hash")
    if not isinstance(view_id, str) or not isinstance(view_hash, str) or not view_id:
        return None
    key = f"view:{view_id}:{view_hash}"
    if len(key) > _KEY_LIMIT:
        key = "view:" + hashlib.sha256(key.encode()).hexdigest()[: _KEY_LIMIT - 5]
    return key


def _team_of(body: dict[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict) and isinstance(team.get("id"), str):
        return team["id"]
    view = body.get("view") or {}
    return str(view.get("team_id") or "")


def first_submission(session: Session, body: dict[str, Any]) -> bool:
    """False when this view submission was applied already (or is being applied right now):
    the listener then acks and does nothing. Call it first, before the session reads."""
    key = view_key(body)
    if key is None:
        return True
    # Lock-free first: the usual second submission arrives after the first committed.
    if already_claimed(session.get_bind(), key):
        return False
    return claim_for_change(session=session, event_id=key, team_id=_team_of(body))
