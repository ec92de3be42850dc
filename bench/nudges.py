"""Measure the nudge sweep: an idle sweep over 100,000 actions, and delivery to the stand-in.

Run from anywhere: python bench/nudges.py [--database-url postgresql+psycopg://…/db]
(default: a temporary SQLite file). Takes one to two minutes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, insert, text  # noqa: E402

from bot.jobs.nudges import sweep  # noqa: E402
from bot.runtime.deps import Deps  # noqa: E402
from bot.runtime.settings import Settings  # noqa: E402
from bot.slack.app import build_client  # noqa: E402
from bot.slack.blocks.nudges import nudge_dm  # noqa: E402
from bot.standin import SlackStandIn  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import Action, Nudge, Review  # noqa: E402
from storage.nudges import due_ids  # noqa: E402

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
OWNERS = ("U0ALICE", "U0BOB", "U0CAROL")
KINDS = ("reminder", "due", "overdue", "escalation")


def insert_actions(engine: Engine, count: int, *, due_at: datetime | None) -> None:
    """`count` open actions; each gets 4 nudges in the future, or 1 due at `due_at`."""
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
        for start in range(0, count, 10_000):
            chunk = range(start, min(start + 10_000, count))
            ids = conn.execute(
                insert(Action).returning(Action.id, sort_by_parameter_order=True),
                [
                    {
                        "review_id": review_id,
                        "what": f"Add a canary stage {i}",
                        "owner_id": OWNERS[i % len(OWNERS)],
                        "owner_tz": "America/New_York",
                        "review_date": date(2027, 1, 1) + timedelta(days=i % 300),
                        "success_criterion": "Zero deploy incidents for 30 days",
                        "kind": "fix",
                        "status": "open",
                        "specificity": 4,
                        "created_by": "U0ALICE",
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in chunk
                ],
            ).scalars()
            rows = []
            for i, action_id in zip(chunk, ids, strict=True):
                if due_at is not None:
                    rows.append({"action_id": action_id, "kind": "due", "due_at": due_at})
                    continue
                day = NOW + timedelta(days=20 + i % 300)
                rows += [
                    {"action_id": action_id, "kind": kind, "due_at": day + timedelta(days=k)}
                    for k, kind in enumerate(KINDS)
                ]
            conn.execute(insert(Nudge), [r | {"created_at": NOW} for r in rows])


def explain(engine: Engine) -> list[str]:
    """The database's plan for the sweep's due-nudge query."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "

    def add_prefix(conn, cursor, statement, parameters, context, executemany):
        return prefix + statement, parameters

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", add_prefix, retval=True)
        rows = conn.execute(due_ids(now=NOW, limit=50)).cursor.fetchall()
    return [str(row[-1] if engine.dialect.name == "sqlite" else row[0]) for row in rows]


def ms(samples: list[float]) -> str:
    """Median and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def idle_sweeps(deps: Deps, client, count: int) -> None:
    """Time sweeps that find nothing due, and show the plan of their query."""
    for _ in range(3):
        sweep(deps=deps, client=client, now=NOW)  # warm the pool and the caches
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        result = sweep(deps=deps, client=client, now=NOW)
        samples.append(time.perf_counter() - started)
        assert not result.sent
    print(f"(a) idle sweep, {count} runs: {ms(samples)} (target < 10 ms)")
    for line in explain(deps.engine):
        print(f"    plan: {line}")


def deliver(deps: Deps, standin: SlackStandIn, count: int, label: str) -> float:
    """Make `count` nudges due, sweep until all are sent; print and return nudges per second."""
    due_at = NOW - timedelta(minutes=1)
    insert_actions(deps.engine, count, due_at=due_at)
    client = build_client(deps.settings)
    started = time.perf_counter()
    sent = 0
    now = NOW
    while sent < count:
        result = sweep(deps=deps, client=client, now=now, batch=50)
        sent += len(result.sent)
        now += timedelta(minutes=2)  # a failed attempt's backoff has passed by the next sweep
        if not result.sent and not result.failed:
            break
    elapsed = time.perf_counter() - started
    rate = sent / elapsed
    print(f"(b) {label}: {sent} of {count} nudges in {elapsed:.2f} s = {rate:.0f} nudges/s")
    return rate


def baseline(deps: Deps, count: int) -> float:
    """chat.postMessage straight to the stand-in, no database: the ceiling for delivery."""
    client = build_client(deps.settings)
    action = Action(
        id=1,
        review_id=1,
        what="Add a canary stage",
        owner_id="U0BOB",
        review_date=NOW.date(),
        success_criterion="Zero deploy incidents for 30 days",
        created_by="U0ALICE",
    )
    review = Review(
        id=1,
        team_id="T0001",
        template="miss",
        kind="miss",
        title="Checkout outage",
        channel_id="C0GENERAL",
        facilitator_id="U0ALICE",
    )
    text_, blocks = nudge_dm(kind="due", action=action, review=review, today=NOW.date())
    channel = client.conversations_open(users="U0BOB")["channel"]["id"]
    started = time.perf_counter()
    for _ in range(count):
        client.chat_postMessage(channel=channel, text=text_, blocks=blocks)
    rate = count / (time.perf_counter() - started)
    print(f"(b) baseline: {count} raw chat.postMessage calls = {rate:.0f} calls/s")
    return rate


def main() -> None:
    """Build the database, then run (a) and (b)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--sweeps", type=int, default=50)
    parser.add_argument("--deliver", type=int, default=2_000)
    parser.add_argument("--per-minute", type=int, default=300, help="stand-in rate limit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackStandIn() as standin:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM reviews")).scalar():
                # Never mix bench rows into a real database, nor delete anything from it.
                sys.exit("bench/nudges.py needs an empty database: this one has reviews")
        settings = Settings(
            slack_bot_token="xoxb-bench",  # noqa: S106 - the stand-in takes any xoxb- token
            slack_api_url=standin.base_url,
            database_url=url,
        )
        deps = Deps(settings=settings, engine=engine)
        started = time.perf_counter()
        insert_actions(engine, args.actions, due_at=None)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        print(
            f"{engine.dialect.name}: {args.actions} actions with {args.actions * 4} future "
            f"nudges inserted in {time.perf_counter() - started:.1f} s"
        )
        idle_sweeps(deps, build_client(settings), args.sweeps)
        base = baseline(deps, args.deliver)
        rate = deliver(deps, standin, args.deliver, "no rate limit")
        print(f"    delivery / baseline = {rate / base:.2f}")
        limited = args.per_minute + args.per_minute // 3
        standin.rate_limit("chat.postMessage", per_minute=args.per_minute)
        rate = deliver(deps, standin, limited, f"rate limit {args.per_minute}/min")
        best = limited / max(60.0, 1e-9)  # the window lets the rest go after one minute
        print(f"    best possible for {limited} nudges at {args.per_minute}/min ≈ {best:.1f}/s")
        engine.dispose()


if __name__ == "__main__":
    main()
