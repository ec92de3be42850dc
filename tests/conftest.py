"""Shared fixtures: a migrated database, the Slack stand-in, and the real app wired to both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.runtime.deps import Deps
from bot.runtime.settings import Settings
from bot.standin import SlackStandIn
from bot.standin.driver import Bot
from storage.db import deferred, make_engine
from tests.database import TestDatabases, postgres_url

SHARED = Path(__file__).resolve().parents[2] / "shared"
REQUIRED_ARGS = SHARED / "slack" / "slack_web_openapi_v2.required_args.json"
SIGNING_SECRET = "test-signing-secret"


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> TestDatabases:
    """Migrates once per session and hands out clean databases."""
    return TestDatabases(tmp_path_factory.mktemp("db"))


@pytest.fixture
def database_url(databases: TestDatabases, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database for this test (SQLite, or PostgreSQL in CI)."""
    return databases.url_for_test(re.sub(r"\W+", "_", request.node.name)[:80])


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and checking data directly.

    Its transactions begin deferred (storage.db.deferred): a test that has read something and
    then drives the app must not hold SQLite's write lock meanwhile.
    """
    with Session(deferred(engine), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    """The local stand-in for Slack's Web API; a test fails if we sent Slack anything invalid."""
    required = REQUIRED_ARGS if REQUIRED_ARGS.is_file() else None
    with SlackStandIn(required_args_path=required) as server:
        yield server
        server.assert_clean()


@pytest.fixture
def settings(standin: SlackStandIn, database_url: str) -> Settings:
    """Settings pointing at the stand-in and this test's database."""
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=standin.base_url,
        database_url=database_url,
        workers=4,
    )


@pytest.fixture
def deps(settings: Settings, engine: Engine) -> Deps:
    """The app's dependencies on this test's database."""
    return Deps(settings=settings, engine=engine)


@pytest.fixture
def bot(deps: Deps, standin: SlackStandIn) -> Iterator[Bot]:
    """The real app wired to the stand-in and the database."""
    harness = Bot(deps=deps, standin=standin, secret=SIGNING_SECRET)
    yield harness
    harness.settle()
    harness.executor.shutdown(wait=True)


@pytest.fixture
def make_settings(settings: Settings):
    """Settings with some fields changed."""

    def changed(**changes: Any) -> Settings:
        return settings.model_copy(update=changes)

    return changed


@pytest.fixture
def make_bot(deps: Deps, standin: SlackStandIn) -> Iterator[Any]:
    """Another app on the same stand-in and database, with some settings changed."""
    made: list[Bot] = []

    def build(**changes: Any) -> Bot:
        harness = Bot(
            deps=replace(deps, settings=deps.settings.model_copy(update=changes)),
            standin=standin,
            secret=SIGNING_SECRET,
        )
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.settle()
        harness.executor.shutdown(wait=True)


@pytest.fixture
def run_database_url(tmp_path: Path, database_url: str) -> str:
    """For `aarbot run` as a process: on SQLite a file never migrated (`run` must migrate it);
    on PostgreSQL this test's schema."""
    return database_url if postgres_url() else f"sqlite:///{tmp_path / 'run.db'}"
