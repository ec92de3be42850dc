"""`aarbot jobs status | retry-failed`: the outbox of work after each ack."""

from __future__ import annotations

import argparse

from bot.cli.support import EXIT_FAILURE, ready_engine
from bot.runtime.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the `jobs` subcommands."""
    jobs = sub.add_parser("jobs", help="inspect and retry the work after each ack (the outbox)")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_sub.add_parser(
        "status", help="jobs waiting, running and failed, and the age of the oldest waiting"
    ).set_defaults(func=jobs_status)
    jobs_sub.add_parser(
        "retry-failed", help="give failed jobs another round of attempts"
    ).set_defaults(func=jobs_retry_failed)


def jobs_status(_args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel import Session

    from storage import outbox

    engine, code = ready_engine(settings)
    if engine is None:
        return code
    with Session(engine) as session:
        report = outbox.report(session)
    engine.dispose()
    age = report.oldest_waiting_seconds
    print(f"pending: {report.pending}")
    print(f"running: {report.running}")
    print(f"failed: {report.failed}")
    print(f"oldest waiting: {'-' if age is None else f'{age:.1f} s'}")
    for job_id, name, attempts, error in report.failed_jobs:
        print(f"  job {job_id} {name} after {attempts} attempt(s): {error}")
    return EXIT_FAILURE if report.failed else 0


def jobs_retry_failed(_args: argparse.Namespace, settings: Settings) -> int:
    from storage import outbox
    from storage.db import session_scope

    engine, code = ready_engine(settings)
    if engine is None:
        return code
    with session_scope(engine) as session:
        count = outbox.retry_failed(session)
    engine.dispose()
    print(f"{count} failed job(s) put back to run")
    return 0
