"""The engine, sessions and migrations: the only place that knows how to reach the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from storage.turns import Turns

MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed number works; it only has to be the same in every replica.
_MIGRATION_LOCK_ID = 0x4161_5262


# Kept by migrations and triggers, not by the models (see migrations/versions/0003_search.py).
SEARCH_TABLES = frozenset({"reviews_fts", "review_search"})
# Slack's OAuth installations and states: created by migration 0005 with exactly the shape
# slack_sdk's SQLAlchemy stores expect, and read and written only by those stores.
OAUTH_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: leave the search tables (and FTS5's shadows) and the OAuth tables alone."""
    if type_ == "table" and name:
        return name not in OAUTH_TABLES and not any(name.startswith(t) for t in SEARCH_TABLES)
    table = getattr(obj, "table", None)
    return not (table is not None and table.name in SEARCH_TABLES | OAUTH_TABLES)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout on every connection,
    and every transaction begins with BEGIN IMMEDIATE (pysqlite's own transaction handling,
    which begins only at the first write, is turned off in `_sqlite_pragmas`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        turns = Turns()

        def begin(conn) -> None:
            if not conn.get_execution_options().get(DEFERRED):
                turns.acquire()
                conn.info[_TURN] = True
            try:
                _sqlite_begin(conn)
            except BaseException:
                _end_turn(conn)
                raise

        def _end_turn(conn) -> None:
            if conn.info.pop(_TURN, False):
                turns.release()

        event.listen(engine, "begin", begin)
        event.listen(engine, "commit", _end_turn)
        event.listen(engine, "rollback", _end_turn)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


# Set on a connection while its transaction holds this process's writer turn (storage/turns.py).
_TURN = "aarbot_turn"
# An execution option: transactions of a connection carrying it begin with plain BEGIN.
DEFERRED = "aarbot_deferred_begin"


def deferred(engine: Engine) -> Engine:
    """The same engine, but on SQLite its transactions begin with plain BEGIN, not IMMEDIATE.

    For a session that mostly reads and may stay open while other connections write (a test's
    own session, a report): it does not take the write lock until it writes, so it blocks no
    writer meanwhile; but a write after another connection's commit fails at once with
    "database is locked". The app's own work never uses it. PostgreSQL: no difference.
    """
    return engine.execution_options(**{DEFERRED: True})


def _sqlite_begin(conn) -> None:
    """Every transaction takes SQLite's write lock when it begins (SQLAlchemy's pysqlite recipe).

    SQLite has no row locks. A transaction that reads and then writes, after another
    connection committed a write in between, fails at once with "database is locked": its
    snapshot is stale, and the busy timeout cannot help. BEGIN IMMEDIATE takes the write lock
    first, so a second writer waits its turn on the busy timeout and then reads the first
    one's change. The cost: every transaction, one that only reads too, holds the lock until
    it ends, so none may be held open across a Web API call or any other wait.
    """
    deferred = conn.get_execution_options().get(DEFERRED)
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_HOLD = "aarbot_hold"


def end_before_call(session: Session) -> None:
    """End the session's transaction (commit it) before a Web API call, so no lock is held
    while Slack answers; inside `holding`, keep it open instead."""
    if session.info.get(_HOLD) or not session.in_transaction():
        return
    session.commit()


@contextmanager
def holding(session: Session) -> Iterator[Session]:
    """Keep the transaction open across the Web API calls in this block, so a failed call
    still rolls back what it wrote (a draft's claim and post, which must happen once)."""
    session.info[_HOLD] = True
    try:
        yield session
    finally:
        session.info.pop(_HOLD, None)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> str | None:
    """None when the database answers a trivial query, else the error in one line."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply pending migrations; replicas starting at once take turns (advisory lock on PG)."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to `revision` ("base" removes every table)."""
    _migrate(engine, lambda config: command.downgrade(config, revision))


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    config = _alembic_config(engine)
    if engine.dialect.name != "postgresql":
        step(config)
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        try:
            config.attributes["connection"] = conn
            step(config)
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
            conn.commit()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this code ships."""
    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def pending_migrations(engine: Engine) -> bool:
    """True when the database is behind the code's migrations."""
    return current_revision(engine) != head_revision()
