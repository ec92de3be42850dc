"""What the CLI's subcommands share: exit codes, one-line failures, a ready database."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Engine

from bot.runtime.settings import Settings

EXIT_FAILURE = 1
EXIT_USAGE = 2
NO_TABLES = "the database has no aarbot tables; run aarbot db upgrade"


def engine_for(settings: Settings) -> Engine:
    """The engine for DATABASE_URL."""
    from storage.db import make_engine

    return make_engine(settings.database_url)


def ready_engine(settings: Settings) -> tuple[Engine | None, int]:
    """The engine of a migrated, reachable database, or an exit code after saying why not."""
    engine = engine_for(settings)
    code = _not_ready(engine)
    if code:
        engine.dispose()
        return None, code
    return engine, 0


def _not_ready(engine: Engine) -> int:
    from storage.db import current_revision, head_revision, ping

    # Connecting to SQLite creates the file; a command must not leave an empty database behind.
    if missing_sqlite_file(engine):
        return fail(NO_TABLES, EXIT_USAGE)
    unreachable = ping(engine)
    if unreachable:
        return fail(f"cannot reach the database: {unreachable}", EXIT_FAILURE)
    current, head = current_revision(engine), head_revision()
    if current is None:
        return fail(NO_TABLES, EXIT_USAGE)
    if current != head:
        return fail(
            f"the database is at revision {current}, not {head} as this aarbot expects; "
            "run aarbot db upgrade",
            EXIT_USAGE,
        )
    return 0


def missing_sqlite_file(engine: Engine) -> bool:
    """True for a SQLite database whose file does not exist (connecting would create it)."""
    url = engine.url
    path = url.database or ""
    if url.get_backend_name() != "sqlite" or path in ("", ":memory:") or path.startswith("file:"):
        return False
    return not Path(path).exists()


def fail(message: str, code: int) -> int:
    """Say what went wrong on one line (stderr) and return the exit code."""
    print(f"aarbot: {message}", file=sys.stderr)
    return code
