"""Processed event ids: a retried delivery is recognised; old ids are pruned."""

from datetime import timedelta

from sqlmodel import Session, select

from storage.events import claim_event, prune_events
from storage.models import ProcessedEvent
from storage.types import utcnow


def test_an_event_id_is_claimed_once(session: Session) -> None:
    assert claim_event(session=session, event_id="Ev1", team_id="T1")
    assert not claim_event(session=session, event_id="Ev1", team_id="T1")
    assert claim_event(session=session, event_id="Ev2", team_id="T1")
    session.commit()
    assert len(session.exec(select(ProcessedEvent)).all()) == 2


def test_prune_forgets_only_old_ids(session: Session) -> None:
    now = utcnow()
    session.add(ProcessedEvent(event_id="old", team_id="T1", received_at=now - timedelta(days=8)))
    session.add(ProcessedEvent(event_id="new", team_id="T1", received_at=now))
    session.commit()
    assert prune_events(session=session, before=now - timedelta(days=7)) == 1
    session.commit()
    assert [e.event_id for e in session.exec(select(ProcessedEvent))] == ["new"]
