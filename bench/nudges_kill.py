"""Two sweepers over 1,000 due nudges, one SIGKILLed mid-sweep: how many DMs did each nudge get?

Two `aarbot nudges run-once` processes sweep the same database at once (each with its own
token, so the stand-in can tell their calls apart). When sweeper A's k-th DM has been posted,
the stand-in SIGKILLs A before A hears the answer: Slack has the message, A never records it,
and A's other claims are left leased. Sweeper B finishes. Once the leases have expired (the
clock is moved past them), one more sweep runs. Then the stand-in counts the DMs carrying each
nudge id in their metadata: the target is exactly one each.

Run from anywhere:
    python bench/nudges_kill.py [--database-url URL ...] [--nudges 1000] [--seed N]
Default: a temporary SQLite file. A PostgreSQL URL gets a schema of its own
(bench_nudges_kill), dropped and made again each run. Give --database-url twice for both.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import col  # noqa: E402

from bot.jobs.nudges import LEASE, sweep  # noqa: E402
from bot.runtime.deps import Deps  # noqa: E402
from bot.runtime.settings import Settings  # noqa: E402
from bot.slack.app import build_client  # noqa: E402
from bot.slack.blocks.nudges import carried_nudge_ids  # noqa: E402
from bot.standin import SlackStandIn  # noqa: E402
from bot.standin.state import Call  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import Action, Nudge, NudgeStatus, Review  # noqa: E402

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
OWNERS = tuple(f"U0KILL{i:02d}" for i in range(40))
SCHEMA = "bench_nudges_kill"
TOKENS = {"A": "xoxb-sweeper-a", "B": "xoxb-sweeper-b"}


def database(url: str) -> str:
    """The URL to run on: PostgreSQL gets a fresh schema of the bench's own."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    admin.dispose()
    return parsed.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(
        hide_password=False
    )


def due_nudges(engine: Engine, count: int) -> None:
    """`count` open actions, owners taking turns, each with one nudge due now."""
    with engine.begin() as conn:
        review_id = conn.execute(
            insert(Review).returning(Review.id),
            {
                "team_id": "T0001",
                "template": "miss",
                "kind": "miss",
                "title": "Checkout outage",
                "channel_id": "C0GENERAL",
                "facilitator_id": "U0ALICE",
                "created_at": NOW,
                "updated_at": NOW,
            },
        ).scalar_one()
        ids = conn.execute(
            insert(Action).returning(Action.id, sort_by_parameter_order=True),
            [
                {
                    "review_id": review_id,
                    "what": f"Add a canary stage {i}",
                    "owner_id": OWNERS[i % len(OWNERS)],
                    "owner_tz": "America/New_York",
                    "review_date": date(2026, 12, 3),
                    "success_criterion": "Zero deploy incidents for 30 days",
                    "kind": "fix",
                    "status": "open",
                    "specificity": 4,
                    "created_by": "U0ALICE",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(count)
            ],
        ).scalars()
        conn.execute(
            insert(Nudge),
            [
                {"action_id": a, "kind": "due", "due_at": NOW - timedelta(minutes=1)}
                | {"created_at": NOW}
                for a in ids
            ],
        )


def sweeper(name: str, url: str, api_url: str, workdir: Path) -> subprocess.Popen:
    """`aarbot nudges run-once` as its own process, with its own token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    env |= {
        "SLACK_BOT_TOKEN": TOKENS[name],
        "SLACK_SIGNING_SECRET": "bench-secret",
        "SLACK_API_URL": api_url,
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "bot.cli.main", "nudges", "run-once", "--now", NOW.isoformat()],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def two_sweepers(
    standin: SlackStandIn, url: str, kill_after: int, workdir: Path
) -> tuple[dict[str, int], Counter[str], float]:
    """A and B sweep at once; A dies once its DM #kill_after is posted. Exit codes, DMs each
    posted, seconds."""
    posted = Counter[str]()
    lock = threading.Lock()
    processes: dict[str, subprocess.Popen] = {}

    def kill_a(call: Call) -> None:
        if call.method != "chat.postMessage" or not call.ok:
            return
        who = "A" if call.token == TOKENS["A"] else "B"
        with lock:
            posted[who] += 1
            if who == "A" and posted["A"] == kill_after:
                # Slack has A's message; A dies before it hears the ts.
                os.kill(processes["A"].pid, signal.SIGKILL)

    standin.after_call(kill_a)
    started = time.perf_counter()
    with lock:
        processes["A"] = sweeper("A", url, standin.base_url, workdir)
        processes["B"] = sweeper("B", url, standin.base_url, workdir)
    codes = {name: p.wait(600) for name, p in processes.items()}
    swept = time.perf_counter() - started
    standin.after_call(None)
    for name, process in processes.items():
        errors = process.stderr.read() if process.stderr else ""
        if codes[name] not in (0, -signal.SIGKILL) or "Traceback" in errors:
            print(f"sweeper {name} exited {codes[name]}:\n{errors}")
    return codes, posted, swept


def run(url: str, count: int, kill_after: int, workdir: Path) -> bool:
    """One round on one database; prints its figures; True when every nudge got one DM."""
    url = database(url)
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM reviews")).scalar():
            sys.exit("bench/nudges_kill.py needs an empty database: this one has reviews")
    due_nudges(engine, count)
    with SlackStandIn() as standin:
        for owner in OWNERS:
            standin.add_user(owner, owner.lower())
        standin.latency = 0.002  # Slack is not instant: the two sweeps overlap
        codes, posted, swept = two_sweepers(standin, url, kill_after, workdir)
        with engine.connect() as conn:
            held = conn.execute(
                select(func.count()).where(
                    col(Nudge.status).in_([NudgeStatus.CLAIMED, NudgeStatus.SENDING])
                )
            ).scalar()
        # The leases A left: a sweep now skips them; one after they expire takes them.
        settings = Settings(slack_bot_token="xoxb-bench", slack_api_url=standin.base_url)  # noqa: S106
        deps = Deps(settings=settings, engine=engine)
        early = sweep(deps=deps, client=build_client(settings), now=NOW)
        later = datetime.now(UTC) + LEASE + timedelta(seconds=1)
        after = sweep(
            deps=replace(deps, clock=lambda: later), client=build_client(settings), now=NOW
        )
        per_nudge: Counter[int] = Counter()
        for owner in OWNERS:
            for message in standin.dm(owner):
                per_nudge.update(carried_nudge_ids(message))
    with engine.connect() as conn:
        ids = set(conn.execute(select(Nudge.id)).scalars())
        statuses = dict(
            conn.execute(select(Nudge.status, func.count()).group_by(Nudge.status)).all()
        )
    engine.dispose()
    once = sum(1 for i in ids if per_nudge[i] == 1)
    missing = sum(1 for i in ids if per_nudge[i] == 0)
    twice = sum(1 for i in ids if per_nudge[i] > 1)
    print(
        f"{make_url(url).get_backend_name()}: {count} due nudges, 2 sweepers "
        f"({swept:.1f} s); A SIGKILLed once its DM #{kill_after} was posted, before it heard "
        f"the answer (exit {codes['A']}); B exit {codes['B']}"
    )
    print(f"    DMs the two sweepers posted: A {posted['A']}, B {posted['B']}")
    print(f"    left leased by A: {held}; a sweep before the leases expire sends {len(early.sent)}")
    print(
        f"    sweep after the leases expire: sent {len(after.sent)}, found already sent "
        f"{len(after.recovered)}, failed {len(after.failed)}"
    )
    print(
        f"    DMs per nudge at the stand-in: exactly one {once}, none {missing}, "
        f"more than one {twice} (total DMs {sum(per_nudge.values())}); statuses {statuses}"
    )
    return once == count


def main() -> None:
    """Run one round per --database-url."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", action="append", help="default: temporary SQLite")
    parser.add_argument("--nudges", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None, help="picks when A is killed")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        urls = args.database_url or [f"sqlite:///{Path(tmp) / 'kill.db'}"]
        for url in urls:
            kill_after = rng.randint(args.nudges // 10, args.nudges * 4 // 10)
            ok = run(url, args.nudges, kill_after, Path(tmp)) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
