"""`aarbot nudges run-once | status | retry-failed`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime

from bot.cli.support import EXIT_FAILURE, ready_engine
from bot.runtime.settings import Settings, SettingsError


def add_parser(sub: argparse._SubParsersAction, *, instant: Callable[[str], datetime]) -> None:
    """Add the `nudges` subcommands."""
    nudges = sub.add_parser("nudges", help="send, inspect and retry nudge DMs")
    nudges_sub = nudges.add_subparsers(dest="nudges_command", required=True, metavar="ACTION")
    run_once = nudges_sub.add_parser("run-once", help="sweep once: send what is due now")
    run_once.add_argument(
        "--now",
        type=instant,
        metavar="ISO-8601",
        help=(
            "send what is due at this moment, e.g. 2026-12-03T09:00Z (default: now); "
            "claims are still leased on the real clock"
        ),
    )
    run_once.add_argument(
        "--dry-run", action="store_true", help="print what is due without claiming or sending"
    )
    run_once.set_defaults(func=nudges_run_once)
    nudges_sub.add_parser(
        "status", help="counts by state, the next due nudge, failures with their errors"
    ).set_defaults(func=nudges_status)
    nudges_sub.add_parser("retry-failed", help="put failed nudges back to pending").set_defaults(
        func=nudges_retry_failed
    )


def nudges_run_once(args: argparse.Namespace, settings: Settings) -> int:
    from bot.jobs.nudges import sweep
    from bot.runtime.deps import Deps
    from bot.slack.clients import team_clients

    if not settings.slack_bot_token and not settings.oauth and not args.dry_run:
        raise SettingsError(
            "SLACK_BOT_TOKEN", "is not set: nudges are sent with the Bot User OAuth Token (xoxb-…)"
        )
    engine, code = ready_engine(settings)
    if engine is None:
        return code
    try:
        deps = Deps.from_settings(settings, engine)
        now = args.now or deps.clock()
        # Each nudge goes out with its team's token (the one bot token, or the installed one).
        clients = team_clients(settings, engine)
        result = sweep(deps=deps, client=clients, now=now, dry_run=args.dry_run)
    finally:
        engine.dispose()
    verb = "would send" if args.dry_run else "sent"
    for outcome, deliveries in (
        (verb, result.sent),
        ("found already sent", result.recovered),
        ("superseded", result.superseded),
        ("cancelled", result.cancelled),
        ("FAILED", result.failed),
    ):
        for d in deliveries:
            # "about …'s action": an escalation goes to the facilitator and leads, not the owner.
            line = f"{d.due_at:%Y-%m-%d %H:%M}Z {outcome} {d.kind} about {d.owner_id}'s action"
            print(f"{line}: {d.what}: {d.error}" if outcome == "FAILED" else f"{line}: {d.what}")
    print(
        f"{len(result.sent)} {verb}, {len(result.failed)} failed, "
        f"{len(result.cancelled)} cancelled, {len(result.superseded)} superseded, "
        f"{len(result.recovered)} found already sent at {now:%Y-%m-%d %H:%M:%S}Z"
    )
    return EXIT_FAILURE if result.failed else 0


def nudges_status(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import session_scope
    from storage.models import NudgeStatus
    from storage.nudges import status_report

    engine, code = ready_engine(settings)
    if engine is None:
        return code
    try:
        with session_scope(engine) as session:
            report = status_report(session=session)
    finally:
        engine.dispose()
    print(" · ".join(f"{state}: {report.counts.get(state, 0)}" for state in NudgeStatus))
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


def nudges_retry_failed(_args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import session_scope
    from storage.nudges import retry_failed

    engine, code = ready_engine(settings)
    if engine is None:
        return code
    try:
        with session_scope(engine) as session:
            count = retry_failed(session=session)
    finally:
        engine.dispose()
    print(f"{count} failed nudge{'' if count == 1 else 's'} back to pending")
    return 0
