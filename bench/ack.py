"""Measure how fast `aarbot run --http` acks Slack, against a bare Bolt app in the same run.

Run from anywhere: python bench/ack.py [--requests 10000] [--database-url postgresql+psycopg://…]
(default: a temporary SQLite file, as `aarbot run` uses out of the box). `--quick` is a small
run for trying things out. The full run takes one to two minutes on 2 cores.

Five processes: this one sends; the Slack stand-in answers the Web API; `aarbot run --http`
(scheduler on, as operators run it) with the worker process it starts, and the baseline, a
bare Bolt app whose listeners only ack, served by waitress with the same thread count, are
measured. aarbot's CPU and "work after the acks" figures include its worker process, and the
RSS target (150 MB a process) is checked for both of its processes. Both get the same signed
requests from 20 senders on keep-alive connections, in alternating rounds, so both see the same
machine load. A third are slash commands (`/aar help`, `/aar list` and `/aar`, which opens the
start modal), a third button clicks on real reviews (Answer, Next, Answer, Back) and a third
thread replies (each a new message with its own event id and ts, stored as an answer). The
latency is until the HTTP response, which is the ack; the bot's work after the ack (Web API
calls, database writes) runs meanwhile, as it would in production. After each round the bot is
left to finish that work before the baseline's round starts.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import sys
import tempfile
from collections import Counter
from pathlib import Path

# The stand-in, the bot and the baseline; it also puts the checkout on sys.path.
from ack_apps import (
    BOT_TOKEN,
    Process,
    aarbot_acks_in_request_thread,
    clean_env,
    start_aarbot,
    start_baseline,
    start_standin,
)
from ack_traffic import KINDS, Measured, Traffic, send, start_reviews

from bot.settings import Settings

TICKS = os.sysconf("SC_CLK_TCK")
# Targets from DESIGN.md §7.
P99_TARGET_MS = 100.0
RATIO_TARGET = 1.5
RSS_TARGET_MB = 150.0


# --- the report ---------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values`, in milliseconds."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1] * 1000


def report(base: Measured, bot: Measured, drained: float) -> list[tuple[bool, str]]:
    """Print the latency table and throughput; return the ack targets, met or not."""
    print(f"{'kind':<9} {'app':<9} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    verdicts: list[tuple[bool, str]] = []
    for kind in (*KINDS, "all"):
        figures = {}
        for name, measured in (("baseline", base), ("aarbot", bot)):
            values = (
                [v for vs in measured.latencies.values() for v in vs]
                if kind == "all"
                else measured.latencies[kind]
            )
            p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
            figures[name] = (p50, p99)
            print(
                f"{kind:<9} {name:<9} {len(values):>6} {p50:>8.1f} {p99:>8.1f} "
                f"{max(values) * 1000:>8.1f}"
            )
        ratio50 = figures["aarbot"][0] / figures["baseline"][0]
        ratio99 = figures["aarbot"][1] / figures["baseline"][1]
        print(f"{'':<9} {'ratio':<9} {'':>6} {ratio50:>7.2f}x {ratio99:>7.2f}x")
        p99 = figures["aarbot"][1]
        verdicts.append((p99 < P99_TARGET_MS, f"{kind}: aarbot p99 {p99:.1f} ms < 100 ms"))
        verdicts.append((ratio99 <= RATIO_TARGET, f"{kind}: p99 ratio {ratio99:.2f}x <= 1.5x"))
    print()
    for name, measured in (("baseline", base), ("aarbot", bot)):
        rate = measured.requests / measured.seconds
        print(
            f"throughput {name}: {measured.requests} acks in {measured.seconds:.1f} s "
            f"= {rate:.0f} requests/s"
        )
    for name, measured in (("baseline", base), ("aarbot", bot)):
        print(
            f"CPU in {name}'s rounds: {name} {measured.cpu:.1f} s, the stand-in "
            f"{measured.standin_cpu:.1f} s ({measured.cpu / measured.requests * 1000:.2f} ms "
            f"and {measured.standin_cpu / measured.requests * 1000:.2f} ms a request)"
        )
    done = bot.requests / (bot.seconds + drained)
    print(
        f"aarbot's work after the acks went on {drained:.1f} s after the last ack (all rounds): "
        f"{done:.0f} requests/s fully handled"
    )
    return verdicts


def log_findings(bot: Process, base: Process) -> None:
    """What the logs say that bears on the figures: errors, and waitress queueing requests."""
    text = bot.log.read_text(errors="replace")
    errors = [line for line in text.splitlines() if " ERROR " in line]
    depth = {}
    for process in (bot, base):
        found = re.findall(r"Task queue depth is (\d+)", process.log.read_text(errors="replace"))
        depth[process.name] = f"{len(found)} (deepest {max(map(int, found), default=0)})"
    print(
        f"waitress 'Task queue depth' warnings: aarbot {depth['aarbot']}, "
        f"baseline {depth['baseline']}"
    )
    print(f"aarbot logged {len(errors)} errors")
    # Each error's cause is the last line of its traceback.
    causes = re.findall(r"^(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", text, re.M)
    for cause, times in Counter(c[:140] for c in causes).most_common(4):
        print(f"    {times} x {cause}")


# --- the run ------------------------------------------------------------------------


def check_empty(database_url: str) -> None:
    """Refuse a database that already has reviews: bench rows must not mix with real ones."""
    from sqlalchemy import inspect, text

    from storage.db import make_engine

    engine = make_engine(database_url)
    try:
        if "reviews" in inspect(engine).get_table_names():
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM reviews")).scalar():
                    sys.exit("bench/ack.py needs an empty database: this one has reviews")
    finally:
        engine.dispose()


def main() -> None:
    """Start the stand-in, the bot and the baseline; measure in rounds; print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="per app (default 10000)")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per app")
    parser.add_argument("--reviews", type=int, default=20, help="reviews the clicks go to")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests per app")
    parser.add_argument(
        "--workers",
        type=int,
        default=Settings().workers,
        help="AARBOT_WORKERS, and the baseline's thread count",
    )
    parser.add_argument(
        "--database-url", help="an empty database (default: a temporary SQLite file)"
    )
    parser.add_argument(
        "--baseline",
        choices=["same", "bolt-default"],
        default="same",
        help="run the baseline's listeners the way aarbot does (default), or Bolt's default way",
    )
    parser.add_argument("--quick", action="store_true", help="600 requests, 2 rounds, 5 reviews")
    parser.add_argument("--keep", metavar="DIR", help="keep the logs and database in DIR (new)")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds, args.reviews, args.warmup = 600, 2, 5, 60
    args.before_response = args.baseline == "same" and aarbot_acks_in_request_thread()
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="aarbot-ack-") as tmp:
        workdir = Path(args.keep or tmp)
        if args.keep:
            workdir.mkdir(parents=True)
        args.database_url = url = args.database_url or f"sqlite:///{workdir / 'aarbot.db'}"
        check_empty(url)
        processes: list[Process] = []
        try:
            standin = start_standin(clean_env(), workdir)
            processes.append(standin)
            standin_url = f"http://127.0.0.1:{standin.port}"
            env = clean_env(
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=secret,
                SLACK_API_URL=f"{standin_url}/api/",
                DATABASE_URL=url,
                AARBOT_WORKERS=str(args.workers),
            )
            bot = start_aarbot(env, workdir)
            processes.append(bot)
            base = start_baseline(
                env, workdir, threads=args.workers, before_response=args.before_response
            )
            processes.append(base)
            run(args, secret, standin, bot, base)
        finally:
            for process in reversed(processes):
                process.stop()


def run(args, secret: str, standin: Process, bot: Process, base: Process) -> None:
    """Set up reviews, warm both apps up, measure in alternating rounds, report, exit."""
    from flows.templates import builtin_templates

    url = args.database_url
    backend = url.split(":", 1)[0].split("+", maxsplit=1)[0]
    print(
        f"aarbot ack benchmark: {args.requests} requests per app, {args.senders} senders, "
        f"{args.workers} server threads, {backend}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load()}"
    )
    mode = "in the HTTP thread" if args.before_response else "in Bolt's executor"
    print(f"baseline: listeners run {mode} (process_before_response={args.before_response})")
    response_url = f"http://127.0.0.1:{standin.port}/response/bench"
    threads = start_reviews(bot, secret, url, args.reviews, response_url)
    traffic = Traffic(threads, response_url, builtin_templates()["miss"].questions[0].key)
    for process in (base, bot):
        send(process.port, secret, traffic.build, args.warmup, args.senders)
        process.wait_idle()
    rss_before = bot.memory_mb()[0]
    measured = {"baseline": Measured(), "aarbot": Measured()}
    drained = 0.0
    per_round = [args.requests // args.rounds] * args.rounds
    per_round[-1] += args.requests - sum(per_round)
    offset = args.warmup
    for number, count in enumerate(per_round):
        # Alternate who goes first, so a change in the machine's load hits both alike.
        order = (base, bot) if number % 2 == 0 else (bot, base)
        for process in order:
            build = lambda i, start=offset: traffic.build(start + i)  # noqa: E731
            name = "aarbot" if process is bot else "baseline"
            ticks = process.cpu_ticks(), standin.cpu_ticks()
            sent = send(process.port, secret, build, count, args.senders)
            waited = process.wait_idle()
            sent.cpu = (process.cpu_ticks() - ticks[0]) / TICKS
            sent.standin_cpu = (standin.cpu_ticks() - ticks[1]) / TICKS
            measured[name].add(sent)
            if process is bot:
                drained += waited
        offset += count
    rss = bot.memory_mb()
    workers = {pid: bot.memory_mb(pid) for pid in bot.children()}
    print(f"{len(threads)} reviews, {args.warmup} warm-up requests each; load average now {load()}")
    print()
    met = report(measured["baseline"], measured["aarbot"], drained)
    print(
        f"aarbot RSS: {rss_before:.1f} MB after setup and warm-up, {rss[0]:.1f} MB after "
        f"{args.requests} more requests (peak {rss[1]:.1f} MB)"
    )
    log_findings(bot, base)
    print()
    for pid, (now, peak) in workers.items():
        print(f"aarbot's worker process {pid} RSS: {now:.1f} MB (peak {peak:.1f} MB)")
    verdicts = [*met, (rss[0] < RSS_TARGET_MB, f"aarbot RSS {rss[0]:.1f} MB < 150 MB")]
    verdicts += [
        (now < RSS_TARGET_MB, f"aarbot worker process RSS {now:.1f} MB < 150 MB")
        for now, _ in workers.values()
    ]
    for ok, what in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {what}")
    errors = measured["baseline"].errors + measured["aarbot"].errors
    if errors:
        print(f"\n{len(errors)} requests failed, for example:")
        for line in dict.fromkeys(errors[:200]):
            print(f"    {line}")
        sys.exit(1)
    missed = sum(not ok for ok, _ in verdicts)
    print(f"\n{missed} of {len(verdicts)} targets missed" if missed else "\nall targets met")


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
