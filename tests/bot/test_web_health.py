"""/healthz: alive, with the database's state; /readyz: the database answers and is migrated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete

from bot.standin.driver import Bot
from storage import outbox
from storage.db import downgrade, head_revision, make_engine, session_scope, upgrade
from storage.models import Job
from storage.types import utcnow


def _with_engine(bot: Bot, engine: Engine) -> Bot:
    return Bot(deps=replace(bot.deps, engine=engine), standin=bot.standin, secret=bot.secret)


@pytest.fixture
def behind(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database at revision 0001, behind the head."""
    engine = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    upgrade(engine)
    downgrade(engine, "0001")
    yield engine
    engine.dispose()


def test_healthz_stays_200_and_reports_a_database_outage(bot: Bot, tmp_path: Path) -> None:
    gone = create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = _with_engine(bot, gone).request("GET", "/healthz")
    assert response.status == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["ok"] is False
    assert "OperationalError" in response.json()["database"]["error"]
    assert response.headers["content-type"] == "application/json"


def test_healthz_reports_a_healthy_database(bot: Bot) -> None:
    response = bot.request("GET", "/healthz")
    assert response.status == 200
    assert response.json()["database"] == {"ok": True, "backend": bot.deps.engine.dialect.name}


def test_readyz_is_ok_on_a_migrated_database(bot: Bot) -> None:
    response = bot.request("GET", "/readyz")
    assert response.status == 200
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True, "backend": bot.deps.engine.dialect.name},
        "migrations": {"ok": True, "current": head_revision(), "head": head_revision()},
        "outbox": {"ok": True, "oldest_waiting_seconds": None},
    }


def test_readyz_says_503_while_the_oldest_waiting_job_is_too_old(bot: Bot) -> None:
    limit = bot.deps.settings.ready_max_job_age
    with session_scope(bot.deps.engine) as session:
        outbox.enqueue(
            session,
            name="bot.slack.listeners.actions.review:_next",
            payload={"fn": "x", "body": {}},
            now=utcnow() - timedelta(seconds=limit + 5),
        )
    response = bot.request("GET", "/readyz")
    assert response.status == 503
    assert response.json()["outbox"]["ok"] is False
    assert response.json()["outbox"]["oldest_waiting_seconds"] > limit
    with session_scope(bot.deps.engine) as session:  # the workers caught up
        session.execute(delete(Job))
    assert bot.request("GET", "/readyz").status == 200


def test_readyz_names_an_unreachable_database(bot: Bot, tmp_path: Path) -> None:
    gone = create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = _with_engine(bot, gone).request("GET", "/readyz")
    assert response.status == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is False
    assert body["database"]["error"].startswith("OperationalError")
    assert "migrations" not in body


def test_readyz_names_migrations_that_are_behind(bot: Bot, behind: Engine) -> None:
    response = _with_engine(bot, behind).request("GET", "/readyz")
    assert response.status == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["migrations"] == {"ok": False, "current": "0001", "head": head_revision()}


def test_readyz_names_a_database_never_migrated(bot: Bot, tmp_path: Path) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        response = _with_engine(bot, empty).request("GET", "/readyz")
    finally:
        empty.dispose()
    assert response.status == 503
    assert response.json()["migrations"]["current"] is None
