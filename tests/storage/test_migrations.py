"""Migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (the tables)
from storage.db import (
    current_revision,
    downgrade,
    head_revision,
    include_object,
    make_engine,
    pending_migrations,
    upgrade,
)
from tests.database import fresh_postgres_schema, postgres_url


def _fresh_url(tmp_path: Path) -> str:
    pg = postgres_url()
    if pg:
        return fresh_postgres_schema(pg, "aarbot_migration_test")
    return f"sqlite:///{tmp_path / 'fresh.db'}"


def test_upgrade_builds_the_models_schema_with_no_difference(tmp_path: Path) -> None:
    engine = make_engine(_fresh_url(tmp_path))
    assert pending_migrations(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert not pending_migrations(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def test_upgrade_twice_is_harmless_and_downgrade_removes_everything(tmp_path: Path) -> None:
    engine = make_engine(_fresh_url(tmp_path))
    upgrade(engine)
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "reviews" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
