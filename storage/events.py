"""Slack event ids already processed, so a retried delivery changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProcessedEvent


def claim_event(*, session: Session, event_id: str, team_id: str) -> bool:
    """Record an event id; False when it was already recorded (a retry or a duplicate)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, team_id=team_id))
    except IntegrityError:
        return False
    return True


def prune_events(*, session: Session, before: datetime) -> int:
    """Forget event ids received before `before`; Slack stops retrying within the hour."""
    result = session.exec(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    return result.rowcount or 0
