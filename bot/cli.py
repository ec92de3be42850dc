"""The `aarbot` command line."""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

EXIT_FAILURE = 1
EXIT_USAGE = 2
NO_TABLES = "the database has no aarbot tables; run aarbot db upgrade"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run a subcommand; settings errors exit 2 with one line."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        # The demo builds its own settings: a real workspace's .env must not leak into it.
        return _demo(args)
    if args.command == "doctor":
        # The doctor reports bad settings as findings instead of stopping at the first.
        return _doctor(args)
    try:
        settings = load_settings()
        return args.func(args, settings)
    except SettingsError as err:
        print(f"aarbot: {err}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aarbot", description="Structured after-action reviews in Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the bot (Socket Mode, or HTTP with --http)")
    run.add_argument(
        "--http", action="store_true", help="serve HTTP even if SLACK_APP_TOKEN is set"
    )
    run.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    run.add_argument("--no-scheduler", action="store_true", help="do not run scheduled jobs")
    run.set_defaults(func=_run)

    demo = sub.add_parser(
        "demo", help="run one review end to end against a local stand-in for Slack"
    )
    demo.add_argument(
        "--keep-db",
        metavar="PATH",
        help="write the demo's SQLite database to PATH (a new file) instead of a temp dir",
    )

    sub.add_parser("doctor", help="check settings, database, token, scopes and lessons channel")

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply pending migrations").set_defaults(func=_db_upgrade)
    db_sub.add_parser("current", help="show the applied revision").set_defaults(func=_db_current)

    export = sub.add_parser("export", help="print reviews with their answers and actions")
    export.add_argument(
        "--format",
        required=True,
        choices=["json", "md", "csv"],
        help="json (everything, for aarbot import), md (post-mortem documents) or csv (actions)",
    )
    export.add_argument("--review", type=int, metavar="ID", help="only the review with this id")
    export.add_argument(
        "--since",
        type=_day,
        metavar="YYYY-MM-DD",
        help="only reviews created on or after this day (UTC)",
    )
    export.set_defaults(func=_export)

    load = sub.add_parser("import", help="load a JSON export into an empty database")
    load.add_argument(
        "file", metavar="FILE", help="the output of aarbot export --format json, or -"
    )
    load.set_defaults(func=_import)

    nudges = sub.add_parser("nudges", help="send, inspect and retry nudge DMs")
    nudges_sub = nudges.add_subparsers(dest="nudges_command", required=True, metavar="ACTION")
    run_once = nudges_sub.add_parser("run-once", help="sweep once: send what is due now")
    run_once.add_argument(
        "--now",
        type=_instant,
        metavar="ISO-8601",
        help="sweep as if it were this moment, e.g. 2026-12-03T09:00Z (default: now)",
    )
    run_once.add_argument(
        "--dry-run", action="store_true", help="print what is due without claiming or sending"
    )
    run_once.set_defaults(func=_nudges_run_once)
    nudges_sub.add_parser(
        "status", help="counts by state, the next due nudge, failures with their errors"
    ).set_defaults(func=_nudges_status)
    nudges_sub.add_parser("retry-failed", help="put failed nudges back to pending").set_defaults(
        func=_nudges_retry_failed
    )
    return parser


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 time like 2026-12-03T09:00Z"
        ) from None
    # A time without an offset is read as UTC, like every time aarbot stores.
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _day(value: str) -> date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2024-05-31")


def _engine(settings: Settings):
    from storage.db import make_engine

    return make_engine(settings.database_url)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import logs
    from bot.app import build_app
    from bot.deps import Deps
    from bot.server import serve
    from storage.db import upgrade

    http = args.http or not settings.socket_mode
    settings.require_slack(socket_mode=not http)
    logs.configure(level=settings.log_level, fmt=settings.log_format)
    engine = _engine(settings)
    upgrade(engine)
    deps = Deps.from_settings(settings, engine)
    serve(
        deps=deps,
        app=build_app(deps),
        http=http,
        host=args.host,
        port=args.port,
        scheduler=not args.no_scheduler,
    )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    # The transcript has a few non-ASCII marks; never fail on a narrow console encoding.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    return run_demo(out=sys.stdout, keep_db=args.keep_db)


def _doctor(_args: argparse.Namespace) -> int:
    from bot.doctor import run_doctor

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    return run_doctor(out=sys.stdout)


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, upgrade

    engine = _engine(settings)
    upgrade(engine)
    print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")
    return 0


def _db_current(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, head_revision

    engine = _engine(settings)
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else f"behind: head is {head}"
    print(f"database at revision {current or 'none'} ({state})")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, head_revision, ping, session_scope
    from storage.export import export_reviews

    engine = _engine(settings)
    try:
        # Connecting to SQLite creates the file; an export must not leave an empty database behind.
        if _missing_sqlite_file(engine):
            return _fail(NO_TABLES, EXIT_USAGE)
        unreachable = ping(engine)
        if unreachable:
            return _fail(f"cannot reach the database: {unreachable}", EXIT_FAILURE)
        current, head = current_revision(engine), head_revision()
        if current is None:
            return _fail(NO_TABLES, EXIT_USAGE)
        if current != head:
            return _fail(
                f"the database is at revision {current}, not {head} as this aarbot expects; "
                "run aarbot db upgrade",
                EXIT_USAGE,
            )
        since = datetime.combine(args.since, time.min, tzinfo=UTC) if args.since else None
        with session_scope(engine) as session:
            document = export_reviews(session=session, review_id=args.review, since=since)
    except LookupError as err:
        return _fail(str(err), EXIT_FAILURE)
    finally:
        engine.dispose()
    # Exports are UTF-8 whatever the locale (a redirected stdout on Windows would be cp1252);
    # CSV brings its own CRLF line ends, which must not be translated again.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8", newline="" if args.format == "csv" else None)
    sys.stdout.write(_render(args.format, document, settings))
    return 0


def _render(fmt: str, document: dict, settings: Settings) -> str:
    from bot.render_export import to_csv, to_markdown
    from flows.templates import load_templates

    if fmt == "csv":
        return to_csv(document)
    if fmt == "md":
        # A broken team file is the doctor's business: its built-ins and good files still apply.
        templates = load_templates(settings.templates_dir).templates
        return to_markdown(document, templates=templates)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import IntegrityError

    from storage.db import session_scope
    from storage.importer import ImportRefusedError, import_reviews

    try:
        if args.file == "-":
            raw = sys.stdin.buffer.read().decode("utf-8")
        else:
            raw = Path(args.file).read_text(encoding="utf-8")
        document = json.loads(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return _fail(f"cannot read {args.file}: {err}", EXIT_USAGE)
    engine, code = _ready_engine(settings)
    if engine is None:
        return code
    try:
        with session_scope(engine) as session:
            summary = import_reviews(session=session, document=document)
    except ImportRefusedError as err:
        return _fail(f"nothing imported: {err}", EXIT_USAGE)
    except IntegrityError as err:
        first = str(err.orig).splitlines()[0] if err.orig else str(err)
        return _fail(f"nothing imported: the file breaks a database rule: {first}", EXIT_USAGE)
    finally:
        engine.dispose()
    from bot.blocks.text import count

    parts = [
        count(summary.reviews, "review"),
        count(summary.participants, "participant"),
        count(summary.answers, "answer"),
        count(summary.actions, "action"),
        count(summary.nudges, "nudge"),
        count(summary.lessons, "lesson"),
    ]
    print("imported " + ", ".join(parts))
    return 0


def _ready_engine(settings: Settings):
    """The engine of a migrated, reachable database, or an exit code after saying why not."""
    from storage.db import current_revision, head_revision, ping

    engine = _engine(settings)
    if _missing_sqlite_file(engine):
        return None, _fail(NO_TABLES, EXIT_USAGE)
    unreachable = ping(engine)
    if unreachable:
        return None, _fail(f"cannot reach the database: {unreachable}", EXIT_FAILURE)
    current, head = current_revision(engine), head_revision()
    if current is None:
        return None, _fail(NO_TABLES, EXIT_USAGE)
    if current != head:
        return None, _fail(f"the database is at {current}, not {head}; run aarbot db upgrade", 2)
    return engine, 0


def _nudges_run_once(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_client
    from bot.deps import Deps
    from bot.sweep import sweep

    if not settings.slack_bot_token and not args.dry_run:
        raise SettingsError(
            "SLACK_BOT_TOKEN", "is not set: nudges are sent with the Bot User OAuth Token (xoxb-…)"
        )
    engine, code = _ready_engine(settings)
    if engine is None:
        return code
    try:
        deps = Deps(settings=settings, engine=engine)
        now = args.now or deps.clock()
        result = sweep(deps=deps, client=build_client(settings), now=now, dry_run=args.dry_run)
    finally:
        engine.dispose()
    verb = "would send" if args.dry_run else "sent"
    for d in result.sent:
        print(f"{d.due_at:%Y-%m-%d %H:%M}Z {verb} {d.kind} to {d.owner_id}: {d.what}")
    for d in result.cancelled:
        print(f"{d.due_at:%Y-%m-%d %H:%M}Z cancelled {d.kind} to {d.owner_id}: {d.what}")
    for d in result.failed:
        print(f"{d.due_at:%Y-%m-%d %H:%M}Z FAILED {d.kind} to {d.owner_id}: {d.what}: {d.error}")
    print(
        f"{len(result.sent)} {verb}, {len(result.failed)} failed, "
        f"{len(result.cancelled)} cancelled at {now:%Y-%m-%d %H:%M:%S}Z"
    )
    return EXIT_FAILURE if result.failed else 0


def _nudges_status(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import session_scope
    from storage.nudges import status_report

    engine, code = _ready_engine(settings)
    if engine is None:
        return code
    try:
        with session_scope(engine) as session:
            report = status_report(session=session)
    finally:
        engine.dispose()
    states = ("pending", "claimed", "sent", "failed", "cancelled")
    print(" · ".join(f"{state}: {report.counts.get(state, 0)}" for state in states))
    nxt = report.next_due
    if nxt is None:
        print("next due: nothing pending")
    else:
        print(f"next due: nudge {nxt.id} ({nxt.kind}, action {nxt.action_id}) at {nxt.due_at}")
    for nudge in report.failed:
        print(
            f"failed: nudge {nudge.id} ({nudge.kind}, action {nudge.action_id}) due "
            f"{nudge.due_at:%Y-%m-%d %H:%M}Z after {nudge.attempts} attempts: {nudge.last_error}"
        )
    return 0


def _nudges_retry_failed(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import session_scope
    from storage.nudges import retry_failed

    engine, code = _ready_engine(settings)
    if engine is None:
        return code
    try:
        with session_scope(engine) as session:
            count = retry_failed(session=session)
    finally:
        engine.dispose()
    print(f"{count} failed nudge{'' if count == 1 else 's'} back to pending")
    return 0


def _missing_sqlite_file(engine) -> bool:
    url = engine.url
    path = url.database or ""
    if url.get_backend_name() != "sqlite" or path in ("", ":memory:") or path.startswith("file:"):
        return False
    return not Path(path).exists()


def _fail(message: str, code: int) -> int:
    print(f"aarbot: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
