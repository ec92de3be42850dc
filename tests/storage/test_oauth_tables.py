"""Migration 0005 builds exactly the tables slack_sdk's SQLAlchemy OAuth stores use."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, inspect

from storage.db import OAUTH_TABLES, downgrade, make_engine, upgrade
from tests.database import fresh_postgres_schema, postgres_url


def _fresh_engine(tmp_path: Path) -> Engine:
    pg = postgres_url()
    url = (
        fresh_postgres_schema(pg, f"aarbot_oauth_tables_{os.getpid()}")
        if pg
        else f"sqlite:///{tmp_path / 'oauth.db'}"
    )
    return make_engine(url)


def _slack_sdk_tables(engine: Engine) -> MetaData:
    """The tables as slack_sdk's stores define them (the stores are built, never create_tables)."""
    metadata = MetaData()
    installations = SQLAlchemyInstallationStore(client_id="c", engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    for table in (installations.installations, installations.bots, states.oauth_states):
        table.to_metadata(metadata)
    return metadata


def _only_oauth_tables(obj, name, type_, reflected, compare_to) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in OAUTH_TABLES


def test_the_migrated_tables_are_the_ones_slack_sdk_defines(tmp_path: Path) -> None:
    engine = _fresh_engine(tmp_path)
    upgrade(engine)
    expected = _slack_sdk_tables(engine)
    # Same names: a renamed default table in slack_sdk shows up here first.
    assert set(expected.tables) == OAUTH_TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _only_oauth_tables}
        )
        # Columns, types, nullability and indexes: any difference is listed.
        assert compare_metadata(context, expected) == []
    engine.dispose()


def test_the_stores_work_on_the_migrated_tables_and_downgrade_removes_them(
    tmp_path: Path,
) -> None:
    engine = _fresh_engine(tmp_path)
    upgrade(engine)
    store = SQLAlchemyInstallationStore(client_id="c", engine=engine)
    store.save(
        Installation(
            app_id="A1",
            team_id="T1",
            team_name="one",
            bot_token="xoxb-one",
            bot_id="B1",
            bot_user_id="U1BOT",
            bot_scopes="chat:write,commands",
            user_id="U1",
            installed_at=datetime.now(UTC).timestamp(),
        )
    )
    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert found.bot_token == "xoxb-one"
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_user_id == "U1BOT"

    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False  # a state works once
    expired = SQLAlchemyOAuthStateStore(expiration_seconds=-1, engine=engine).issue()
    assert states.consume(expired) is False

    downgrade(engine, "0004")
    assert not OAUTH_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= OAUTH_TABLES
    engine.dispose()
