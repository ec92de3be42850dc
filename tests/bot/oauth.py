"""A multi-workspace app (SLACK_CLIENT_ID/SECRET) on the stand-in, for the install tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, text

from bot.runtime.deps import Deps
from bot.runtime.settings import Settings
from bot.standin import SlackStandIn
from bot.standin.driver import Bot
from tests.conftest import SIGNING_SECRET

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "test-client-secret"


def oauth_settings(standin: SlackStandIn, database_url: str) -> Settings:
    """Settings for a multi-workspace install: client id and secret, no bot token."""
    return Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=standin.base_url,
        database_url=database_url,
        workers=4,
    )


@contextmanager
def oauth_bot(
    standin: SlackStandIn, database_url: str, engine: Engine, **changes: Any
) -> Iterator[Bot]:
    """The real app in multi-workspace mode (settings `changes` applied); the stand-in knows
    its client id and secret."""
    standin.oauth_app(CLIENT_ID, CLIENT_SECRET)
    settings = oauth_settings(standin, database_url).model_copy(update=changes)
    harness = Bot(
        deps=Deps(settings=settings, engine=engine),
        standin=standin,
        secret=SIGNING_SECRET,
    )
    try:
        yield harness
    finally:
        harness.settle()
        harness.executor.shutdown(wait=True)


def installed(engine: Engine) -> list[tuple[str, str]]:
    """(team id, bot token) of every stored bot installation."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT team_id, bot_token FROM slack_bots ORDER BY team_id"))
        return [tuple(row) for row in rows]
