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

from bot.cli import jobs as cli_jobs
from bot.cli import nudges as cli_nudges
from bot.cli.support import EXIT_FAILURE, EXIT_USAGE, engine_for, fail, ready_engine
from bot.runtime.settings import Settings, SettingsError, load_settings


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
    run.add_argument(
        "--no-workers",
        action="store_true",
        help="do not run outbox workers here (run `aarbot worker` beside it instead)",
    )
    run.set_defaults(func=_run)

    worker = sub.add_parser("worker", help="run only the outbox workers (the work after acks)")
    worker.add_argument(
        "--scheduler", action="store_true", help="also run the scheduled jobs (nudges, digest)"
    )
    worker.set_defaults(func=_worker)

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

    cli_nudges.add_parser(sub, instant=_instant)
    cli_jobs.add_parser(sub)
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


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import logs
    from bot.runtime.deps import Deps
    from bot.runtime.server import serve_http, serve_socket_mode
    from bot.runtime.web import make_wsgi_app
    from bot.slack.app import build_app
    from storage.db import upgrade

    http = args.http or not settings.socket_mode
    logs.configure(level=settings.log_level, fmt=settings.log_format)
    settings.require_slack(socket_mode=not http)
    engine = engine_for(settings)
    upgrade(engine)
    workers, scheduler = not args.no_workers, not args.no_scheduler
    if not http:
        deps = Deps.from_settings(settings, engine)
        serve_socket_mode(deps=deps, app=build_app(deps), workers=workers, scheduler=scheduler)
        return 0
    engine.dispose()  # each server process opens its own connections

    def build():  # in each server process
        own = engine_for(settings)
        if ":memory:" in settings.database_url or settings.database_url.rstrip("/") == "sqlite:":
            upgrade(own)  # a database in memory is this process's alone
        deps = Deps.from_settings(settings, own)
        wsgi = make_wsgi_app(
            bolt_app=build_app(deps),
            engine=deps.engine,
            signing_secret=settings.slack_signing_secret,
            max_job_age=settings.ready_max_job_age,
        )
        return wsgi, deps

    serve_http(
        settings=settings,
        build=build,
        host=args.host,
        port=args.port,
        workers=workers,
        scheduler=scheduler,
    )
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import logs
    from bot.runtime.deps import Deps
    from bot.runtime.server import serve_workers
    from bot.slack.listeners import register_listeners  # noqa: F401 - registers the after-ack listeners
    from storage.db import upgrade

    logs.configure(level=settings.log_level, fmt=settings.log_format)
    engine = engine_for(settings)
    upgrade(engine)
    serve_workers(deps=Deps.from_settings(settings, engine), scheduler=args.scheduler)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.cli.demo import run_demo

    # The transcript has a few non-ASCII marks; never fail on a narrow console encoding.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    return run_demo(out=sys.stdout, keep_db=args.keep_db)


def _doctor(_args: argparse.Namespace) -> int:
    from bot.cli.doctor import run_doctor

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    return run_doctor(out=sys.stdout)


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, upgrade

    engine = engine_for(settings)
    upgrade(engine)
    print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")
    return 0


def _db_current(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, head_revision

    engine = engine_for(settings)
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else f"behind: head is {head}"
    print(f"database at revision {current or 'none'} ({state})")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import deferred, session_scope
    from storage.export import export_reviews

    engine, code = ready_engine(settings)
    if engine is None:
        return code
    try:
        since = datetime.combine(args.since, time.min, tzinfo=UTC) if args.since else None
        # A read of everything, perhaps long: on SQLite it must not hold the write lock
        # meanwhile, which would stall a running bot (storage.db.deferred).
        with session_scope(deferred(engine)) as session:
            document = export_reviews(session=session, review_id=args.review, since=since)
    except LookupError as err:
        return fail(str(err), EXIT_FAILURE)
    finally:
        engine.dispose()
    # Exports are UTF-8 whatever the locale (a redirected stdout on Windows would be cp1252);
    # CSV brings its own CRLF line ends, which must not be translated again.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8", newline="" if args.format == "csv" else None)
    sys.stdout.write(_render(args.format, document, settings))
    return 0


def _render(fmt: str, document: dict, settings: Settings) -> str:
    from bot.cli.render_export import to_csv, to_markdown
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
        return fail(f"cannot read {args.file}: {err}", EXIT_USAGE)
    engine, code = ready_engine(settings)
    if engine is None:
        return code
    try:
        with session_scope(engine) as session:
            summary = import_reviews(session=session, document=document)
    except ImportRefusedError as err:
        return fail(f"nothing imported: {err}", EXIT_USAGE)
    except IntegrityError as err:
        first = str(err.orig).splitlines()[0] if err.orig else str(err)
        return fail(f"nothing imported: the file breaks a database rule: {first}", EXIT_USAGE)
    finally:
        engine.dispose()
    from bot.slack.blocks.text import count

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


if __name__ == "__main__":
    sys.exit(main())
