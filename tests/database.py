"""Test databases: a migrated SQLite file per test, or a migrated PostgreSQL schema.

`AARBOT_TEST_DATABASE_URL` picks PostgreSQL (CI runs the suite once per backend). With
`AARBOT_TEST_REQUIRE_POSTGRES=1`, as CI sets, an unreachable server fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import make_engine, upgrade

PG_ENV = "AARBOT_TEST_DATABASE_URL"
PG_SKIP_REASON = (
    "PostgreSQL tests need AARBOT_TEST_DATABASE_URL, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test (CI always sets it)"
)


def postgres_url() -> str | None:
    """The PostgreSQL URL tests should use, or None on a SQLite-only run."""
    return os.environ.get(PG_ENV) or None


def with_schema(url: str, schema: str) -> str:
    """The same PostgreSQL URL with every connection's search_path set to `schema`."""
    parsed = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def fresh_postgres_schema(url: str, schema: str) -> str:
    """Drop and recreate `schema`; return a URL whose connections use it."""
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if os.environ.get("AARBOT_TEST_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL at {PG_ENV} is unreachable: {exc}")
    finally:
        admin.dispose()
    return with_schema(url, schema)


class TestDatabases:
    """Hands out migrated, empty databases, migrating once per test session."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pg = postgres_url()
        self._template: Path | None = None
        self._pg_url: str | None = None

    @property
    def backend(self) -> str:
        """ "postgresql" or "sqlite"."""
        return "postgresql" if self.pg else "sqlite"

    def url_for_test(self, name: str) -> str:
        """A migrated, empty database for one test."""
        if self.pg:
            return self._clean_postgres()
        if self._template is None:
            self._template = self.workdir / "template.db"
            engine = make_engine(f"sqlite:///{self._template}")
            upgrade(engine)
            engine.dispose()
        path = self.workdir / f"{name}.db"
        shutil.copyfile(self._template, path)
        return f"sqlite:///{path}"

    def _clean_postgres(self) -> str:
        if self._pg_url is None:
            self._pg_url = fresh_postgres_schema(self.pg, f"aarbot_test_{os.getpid()}")
            engine = make_engine(self._pg_url)
            upgrade(engine)
            engine.dispose()
        engine = make_engine(self._pg_url)
        with engine.begin() as conn:
            tables = conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version'"
                )
            ).scalars()
            names = ", ".join(f'"{t}"' for t in tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return self._pg_url
