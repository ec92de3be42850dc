"""Measure how fast `aarbot run --http` acks Slack and answers people, beside two bare Bolt apps.

Run from anywhere: python bench/ack.py [--requests 10000] [--database-url postgresql+psycopg://…]
(default: a temporary SQLite file, as `aarbot run` uses out of the box). `--quick` is a small
run for trying things out. The full run takes a few minutes on 2 cores.

The processes: this one sends; the Slack stand-in answers the Web API and writes down when each
call arrives; three apps are measured:
- aarbot: `aarbot run --http` (scheduler on, as operators run it), with whatever processes and
  threads it starts for the work after its acks;
- bare: a Bolt app whose listeners only ack;
- durable bare: a Bolt app whose listeners insert the request body into a table and commit
  before they ack, on the same kind of database as aarbot's (a SQLite file in WAL mode through
  aarbot's own engine settings, or a table in the same PostgreSQL database): the floor for an
  ack that cannot be lost.
Both bare apps run on the server aarbot uses (`--server`, default: the one bot/runtime/server.py
names), with the same thread count, and their listeners run the way aarbot's do.

The same signed requests go to each app, in rounds whose order rotates, so all see the same
machine load. A third are slash commands (`/aar help`, `/aar list` and `/aar`, which opens the
start modal), a third button clicks on real reviews (Answer, Next, Answer, Back) and a third
thread replies (each a new message with its own event id and ts, stored as an answer). After
each aarbot round it is left to finish its work after the acks before the next round.

Then, for aarbot alone:
- paced: 20 senders, one request each every `--interval` seconds, over 20 reviews (20 concurrent
  reviews, busy ones): the time from each request to the bot's Web API call that answers it
  (the modal a click opens, the post Next makes in the thread, the review message updated by a
  reply, the response_url post that answers `/aar list`), matched on trigger ids, response_url
  names and the thread (bench/ack_traffic.py);
- 50 senders: one round for each app, for the slowest ack;
- a burst of 2,000 mixed requests from 20 senders, as fast as it acks them: how late every
  views.open came after its request, and the requests per second fully handled (from the first
  request until the last Web API call they caused), beside the old design's 123–158/s; the
  bot's memory before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

# The stand-in, the apps; it also puts the checkout on sys.path.
from ack_apps import (
    BOT_TOKEN,
    Process,
    aarbot_acks_in_request_thread,
    aarbot_server,
    clean_env,
    create_durable_table,
    drop_durable_table,
    start_aarbot,
    start_baseline,
    start_standin,
)
from ack_traffic import KINDS, Measured, Request, Traffic, send, start_reviews

from bot.runtime.settings import Settings

TICKS = os.sysconf("SC_CLK_TCK")
APPS = ("bare", "durable", "aarbot")
# Targets from DESIGN.md §7.
RATIO_TARGET = 1.5  # aarbot's p99 ack over the durable bare app's
MAX_ACK_TARGET = 1.0  # seconds, at 50 senders
CALL_P99_TARGET = 0.5  # seconds from a request to the bot's call that answers it
VIEWS_OPEN_TARGET = 1.0  # seconds from a request to its views.open
RSS_TARGET_MB = 150.0
OLD_HANDLED = "123–158/s"  # the work after the acks, drained, before the outbox (issue 12)


# --- figures --------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values`, in milliseconds."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1] * 1000


def ack_table(measured: dict[str, Measured]) -> list[tuple[bool, str]]:
    """Print p50/p99/max ack per kind and app, and the ratios; return the ratio target."""
    print(f"{'kind':<9} {'app':<9} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    verdicts: list[tuple[bool, str]] = []
    for kind in (*KINDS, "all"):
        p99 = {}
        for name in APPS:
            values = (
                [v for vs in measured[name].latencies.values() for v in vs]
                if kind == "all"
                else measured[name].latencies[kind]
            )
            p99[name] = percentile(values, 0.99)
            print(
                f"{kind:<9} {name:<9} {len(values):>6} {percentile(values, 0.50):>8.1f} "
                f"{p99[name]:>8.1f} {max(values) * 1000:>8.1f}"
            )
        ratio = p99["aarbot"] / p99["durable"]
        print(
            f"{'':<9} p99 aarbot / durable {ratio:.2f}x, aarbot / bare "
            f"{p99['aarbot'] / p99['bare']:.2f}x, durable / bare "
            f"{p99['durable'] / p99['bare']:.2f}x"
        )
        if kind == "all":
            verdicts.append(
                (ratio <= RATIO_TARGET, f"p99 ack aarbot / durable bare {ratio:.2f}x <= 1.5x")
            )
    return verdicts


def read_calls(path: Path, since: float = 0.0) -> list[dict]:
    """The stand-in's record of calls that arrived at or after `since`."""
    calls = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.endswith("\n"):
                call = json.loads(line)
                if call["t"] >= since:
                    calls.append(call)
    return calls


def call_key(call: dict) -> tuple[str, ...] | None:
    """The key a call is matched to requests on (bench/ack_traffic.py)."""
    method = call["m"]
    if method == "views.open" and "trigger_id" in call:
        return ("views.open", call["trigger_id"])
    if method == "response_url":
        return ("response_url", call["name"])
    if method == "chat.postMessage" and "thread_ts" in call:
        return ("thread", call.get("channel", ""), call["thread_ts"])
    if method == "chat.update" and "ts" in call:
        return ("update", call.get("channel", ""), call["ts"])
    return None


def match(requests: list[Request], calls: list[dict]) -> dict[str, list[float | None]]:
    """Seconds from each request to the call that answers it, by kind (None: no call came).

    Keys that name one request (a trigger id, a response_url) match exactly. A thread or a
    review message is shared by many requests: in order of sending, each takes the first call
    on its key that arrived after it was sent and that no earlier request took.
    """
    arrivals: dict[tuple, list[float]] = defaultdict(list)
    for call in calls:
        key = call_key(call)
        if key is not None:
            arrivals[key].append(call["t"])
    for times in arrivals.values():
        times.sort()
    taken: dict[tuple, int] = defaultdict(int)
    found: dict[str, list[float | None]] = defaultdict(list)
    for request in sorted(requests, key=lambda r: r.sent_at):
        for key, timed in request.expect:
            times = arrivals.get(key, [])
            index = taken[key]
            while index < len(times) and times[index] < request.sent_at:
                index += 1
            latency = None
            if index < len(times):
                latency = times[index] - request.sent_at
                index += 1
            taken[key] = index
            if timed:
                found[request.kind].append(latency)
    return found


def label(request: Request) -> str:
    """What a request is, by the key of its timed call."""
    for key, timed in request.expect:
        if timed:
            return {"views.open": "views.open", "response_url": "response_url"}.get(
                key[0], {"thread": "chat.postMessage", "update": "chat.update"}.get(key[0], "")
            )
    return ""


def call_table(requests: list[Request], calls: list[dict], title: str) -> list[float]:
    """Print request -> answering call latency by call kind; return all of them (seconds)."""
    by_call: dict[str, list[Request]] = defaultdict(list)
    for request in requests:
        if (name := label(request)) != "":
            by_call[name].append(request)
    print(title)
    print(f"  {'answered by':<17} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'none':>6}")
    everything: list[float] = []
    missing = 0
    for name in sorted(by_call):
        found = [v for vs in match(by_call[name], calls).values() for v in vs]
        got = [v for v in found if v is not None]
        lost = len(found) - len(got)
        missing += lost
        everything += got
        if got:
            print(
                f"  {name:<17} {len(got):>6} {percentile(got, 0.5):>8.1f} "
                f"{percentile(got, 0.99):>8.1f} {max(got) * 1000:>8.1f} {lost:>6}"
            )
    if everything:
        print(
            f"  {'all':<17} {len(everything):>6} {percentile(everything, 0.5):>8.1f} "
            f"{percentile(everything, 0.99):>8.1f} {max(everything) * 1000:>8.1f} {missing:>6}"
        )
    return everything


def memory(process: Process) -> dict[int, tuple[float, float]]:
    """RSS now and at its peak (MB) of the process and each process it started."""
    found = {}
    for pid in (process.popen.pid, *process.children()):
        try:
            found[pid] = process.memory_mb(pid)
        except (OSError, KeyError):
            continue
    return found


def last_answering_call(requests: list[Request], calls: list[dict]) -> float:
    """When the last call on any key of `requests` arrived (time.time()), 0 if none did."""
    keys = {key for request in requests for key, _ in request.expect}
    return max((c["t"] for c in calls if call_key(c) in keys), default=0.0)


def wait_calls_quiet(record: Path, quiet: float = 2.0, timeout: float = 120) -> float:
    """Wait until the stand-in has had no call for `quiet` seconds (or `timeout`); the last
    call's time."""
    started = time.monotonic()
    last_size, last_change = -1, time.monotonic()
    while time.monotonic() - started < timeout:
        size = record.stat().st_size
        if size != last_size:
            last_size, last_change = size, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            break
        time.sleep(0.1)
    calls = read_calls(record)
    return calls[-1]["t"] if calls else 0.0


def wait_jobs(engine, timeout: float = 600) -> int:
    """Wait until aarbot's outbox (the `jobs` table, if there is one) has no job waiting or
    running, or `timeout`; how many are left."""
    from sqlalchemy import inspect, text

    if "jobs" not in inspect(engine).get_table_names():
        return 0
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')")
            ).scalar()
        if not left or time.monotonic() > deadline:
            return int(left or 0)
        time.sleep(0.2)


def settle(args, process: Process) -> float:
    """Wait until the app has finished its work after the acks; the seconds that took.

    For aarbot: its processes use no CPU, its outbox is empty and the stand-in has had no call
    for a second (its CPU alone can go quiet while jobs wait their turn, or on PostgreSQL).
    """
    started = time.monotonic()
    process.wait_idle()
    if process.name == "aarbot":
        wait_jobs(args.reader)
        wait_calls_quiet(args.record, quiet=1.0)
        process.wait_idle()
    return time.monotonic() - started


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


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="per app (default 10000)")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per app")
    parser.add_argument("--reviews", type=int, default=20, help="reviews the clicks go to")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests per app")
    parser.add_argument("--paced", type=int, default=1_200, help="requests in the paced run")
    parser.add_argument(
        "--interval", type=float, default=0.5, help="seconds between a paced sender's requests"
    )
    parser.add_argument("--many", type=int, default=2_000, help="requests per app at 50 senders")
    parser.add_argument("--burst", type=int, default=2_000, help="requests in the burst")
    parser.add_argument(
        "--workers",
        type=int,
        default=Settings().workers,
        help="AARBOT_WORKERS, and the bare apps' thread count",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=Settings().web_processes,
        help="AARBOT_WEB_PROCESSES, and the bare apps' gunicorn processes",
    )
    parser.add_argument(
        "--database-url", help="an empty database (default: a temporary SQLite file)"
    )
    parser.add_argument(
        "--server",
        choices=["waitress", "gunicorn"],
        default=aarbot_server(),
        help="the bare apps' server (default: the one `aarbot run --http` uses)",
    )
    parser.add_argument(
        "--baseline",
        choices=["same", "bolt-default"],
        default="same",
        help="run the bare apps' listeners the way aarbot does (default), or Bolt's default way",
    )
    parser.add_argument(
        "--fresh-schema",
        metavar="NAME",
        help="PostgreSQL: run in a new schema NAME of --database-url, dropped at the end",
    )
    parser.add_argument("--quick", action="store_true", help="a small run of every part")
    parser.add_argument("--keep", metavar="DIR", help="keep the logs and databases in DIR (new)")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds, args.reviews, args.warmup = 600, 2, 5, 60
        args.paced, args.many, args.burst = 200, 300, 600
    args.before_response = args.baseline == "same" and aarbot_acks_in_request_thread()
    return args


def main() -> None:
    """Start the stand-in and the three apps; measure; print the report."""
    args = parse_args()
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="aarbot-ack-") as tmp:
        workdir = Path(args.keep or tmp)
        if args.keep:
            workdir.mkdir(parents=True)
        drop = None
        if args.fresh_schema and (args.database_url or "").startswith("postgresql"):
            from crash import fresh_database

            args.database_url, drop = fresh_database(args.database_url, workdir, args.fresh_schema)
        args.database_url = url = args.database_url or f"sqlite:///{workdir / 'aarbot.db'}"
        durable = url if url.startswith("postgresql") else f"sqlite:///{workdir / 'durable.db'}"
        check_empty(url)
        create_durable_table(durable)
        args.record = workdir / "calls.jsonl"
        args.record.touch()
        processes: list[Process] = []
        try:
            standin = start_standin(clean_env(), workdir, record=args.record)
            processes.append(standin)
            env = clean_env(
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=secret,
                SLACK_API_URL=f"http://127.0.0.1:{standin.port}/api/",
                DATABASE_URL=url,
                AARBOT_DATABASE_URL=url,
                AARBOT_WORKERS=str(args.workers),
                AARBOT_WEB_PROCESSES=str(args.processes),
            )
            apps = {"aarbot": start_aarbot(env, workdir)}
            processes.append(apps["aarbot"])
            for name, store in (("bare", None), ("durable", durable)):
                apps[name] = start_baseline(
                    env,
                    workdir,
                    threads=args.workers,
                    before_response=args.before_response,
                    durable=store,
                    server=args.server,
                    name=name,
                )
                processes.append(apps[name])
            from crash import reader

            args.reader = reader(url)
            run(args, secret, standin, apps)
        finally:
            for process in reversed(processes):
                process.stop()
            stored = drop_durable_table(durable)
            print(f"(the durable bare app stored {stored} request bodies)")
            if drop is not None:
                drop()


def run(args, secret: str, standin: Process, apps: dict[str, Process]) -> None:
    """Set up reviews, warm up, measure in rotating rounds, then aarbot alone; report."""
    from flows.templates import builtin_templates

    bot = apps["aarbot"]
    backend = args.database_url.split(":", 1)[0].split("+", maxsplit=1)[0]
    print(
        f"aarbot ack benchmark: {args.requests} requests per app, {args.senders} senders, "
        f"{args.processes} x {args.workers} server threads, {backend}, "
        f"bare apps on {args.server}; Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average {load()}"
    )
    mode = "in the HTTP thread" if args.before_response else "in Bolt's executor"
    print(f"bare apps: listeners run {mode} (process_before_response={args.before_response})")
    response_url = f"http://127.0.0.1:{standin.port}/response/bench"
    threads = start_reviews(bot, secret, args.database_url, args.reviews, response_url)
    traffic = Traffic(threads, response_url, builtin_templates()["miss"].questions[0].key)
    for name in APPS:
        send(apps[name].port, secret, traffic.build, args.warmup, args.senders)
        settle(args, apps[name])
    print(f"{len(threads)} reviews, {args.warmup} warm-up requests each; load average now {load()}")
    print()
    offsets = Offsets(args.warmup)
    measured, verdicts = rounds(args, secret, standin, apps, traffic, offsets)
    errors = [e for name in APPS for e in measured[name].errors]
    errors += paced(args, secret, bot, traffic, offsets, verdicts, reviews=len(threads))
    errors += fifty(args, secret, apps, traffic, offsets, verdicts)
    errors += burst(args, secret, bot, traffic, offsets, verdicts)
    log_findings(bot, apps)
    print()
    for ok, what in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {what}")
    if errors:
        print(f"\n{len(errors)} requests failed, for example:")
        for line in dict.fromkeys(errors[:200]):
            print(f"    {line}")
        sys.exit(1)
    missed = sum(not ok for ok, _ in verdicts)
    print(f"\n{missed} of {len(verdicts)} targets missed" if missed else "\nall targets met")


class Offsets:
    """Hands out request numbers, so every part sends requests of its own."""

    def __init__(self, start: int) -> None:
        self.next = start

    def build(self, traffic: Traffic, count: int):
        """A build function for the next `count` request numbers."""
        start, self.next = self.next, self.next + count
        return lambda i: traffic.build_expecting(start + i)


def rounds(args, secret, standin, apps, traffic, offsets) -> tuple[dict, list]:
    """The three apps' acks in rounds whose order rotates; print the tables."""
    measured = {name: Measured() for name in APPS}
    flood: list[Request] = []
    drained = 0.0
    per_round = [args.requests // args.rounds] * args.rounds
    per_round[-1] += args.requests - sum(per_round)
    for number, count in enumerate(per_round):
        build = offsets.build(traffic, count)  # the same requests to each app
        for name in APPS[number % 3 :] + APPS[: number % 3]:
            process = apps[name]
            ticks = process.cpu_ticks(), standin.cpu_ticks()
            record = flood if name == "aarbot" else None
            sent = send(process.port, secret, build, count, args.senders, record=record)
            waited = settle(args, process)
            sent.cpu = (process.cpu_ticks() - ticks[0]) / TICKS
            sent.standin_cpu = (standin.cpu_ticks() - ticks[1]) / TICKS
            measured[name].add(sent)
            if name == "aarbot":
                drained += waited
    verdicts = ack_table(measured)
    print()
    for name in APPS:
        m = measured[name]
        print(
            f"{name:<8} {m.requests} acks in {m.seconds:.1f} s = {m.requests / m.seconds:.0f}/s; "
            f"CPU {m.cpu:.1f} s ({m.cpu / m.requests * 1000:.2f} ms a request), the stand-in "
            f"{m.standin_cpu:.1f} s"
        )
    bot = measured["aarbot"]
    print(
        f"aarbot's work after the acks went on {drained:.1f} s after the rounds' last acks: "
        f"{bot.requests / (bot.seconds + drained):.0f} requests/s fully handled"
    )
    print()
    call_table(
        flood,
        read_calls(args.record),
        f"request -> bot's call, in those rounds ({args.senders} senders, each as fast as it "
        "is acked):",
    )
    print()
    return measured, verdicts


def paced(args, secret, bot, traffic, offsets, verdicts, *, reviews: int) -> list[str]:
    """Senders at a steady pace: request -> call latency; the failures."""
    sent_requests: list[Request] = []
    since = time.time()
    sent = send(
        bot.port,
        secret,
        offsets.build(traffic, args.paced),
        args.paced,
        args.senders,
        interval=args.interval,
        record=sent_requests,
    )
    settle(args, bot)
    got = call_table(
        sent_requests,
        read_calls(args.record, since),
        f"request -> bot's call, paced: {args.senders} senders on {reviews} reviews, "
        f"{args.senders / args.interval:.0f} requests/s in all, {args.paced} requests:",
    )
    p99 = percentile(got, 0.99) / 1000 if got else float("inf")
    verdicts.append(
        (p99 < CALL_P99_TARGET, f"paced request -> call p99 {p99 * 1000:.0f} ms < 500 ms")
    )
    print()
    return sent.errors


def fifty(args, secret, apps, traffic, offsets, verdicts) -> list[str]:
    """One round at 50 senders for each app: the slowest ack; the failures."""
    slowest, errors = {}, []
    build = offsets.build(traffic, args.many)
    for name in APPS:
        many = send(apps[name].port, secret, build, args.many, 50)
        settle(args, apps[name])
        values = [v for vs in many.latencies.values() for v in vs]
        slowest[name] = max(values)
        errors += many.errors
        print(
            f"50 senders, {name:<8} {args.many} requests: p50 {percentile(values, 0.5):.1f} ms, "
            f"p99 {percentile(values, 0.99):.1f} ms, max {slowest[name] * 1000:.1f} ms"
        )
    verdicts.append(
        (
            slowest["aarbot"] < MAX_ACK_TARGET,
            f"max ack at 50 senders {slowest['aarbot'] * 1000:.0f} ms < 1000 ms",
        )
    )
    print()
    return errors


def burst(args, secret, bot, traffic, offsets, verdicts) -> list[str]:
    """A burst of mixed requests, as fast as they are acked; the failures."""
    rss_before = memory(bot)
    requests: list[Request] = []
    since = time.time()
    sent = send(
        bot.port,
        secret,
        offsets.build(traffic, args.burst),
        args.burst,
        args.senders,
        record=requests,
    )
    acked_in = time.time() - since
    settle(args, bot)
    calls = read_calls(args.record, since)
    handled_in = max(last_answering_call(requests, calls) - since, acked_in)
    rss_after = memory(bot)
    views = [r for r in requests if label(r) == "views.open"]
    opened = [v for vs in match(views, calls).values() for v in vs]
    late = [v for v in opened if v is None or v >= VIEWS_OPEN_TARGET]
    got = [v for v in opened if v is not None]
    print(
        f"burst: {args.burst} mixed requests from {args.senders} senders, acked in "
        f"{acked_in:.1f} s; their last Web API call {handled_in:.1f} s after the first request: "
        f"{args.burst / handled_in:.0f} requests/s fully handled ({OLD_HANDLED} before the "
        f"outbox); {len(calls)} Web API calls"
    )
    if got:
        print(
            f"  views.open after its request: {len(got)} of {len(views)}, p50 "
            f"{percentile(got, 0.5):.0f} ms, p99 {percentile(got, 0.99):.0f} ms, max "
            f"{max(got) * 1000:.0f} ms; {len(late)} at 1 s or later (or never)"
        )
    verdicts.append(
        (
            bool(views) and not late,
            f"every views.open in the burst under 1 s ({len(late)} of {len(views)} not)",
        )
    )
    call_table(requests, calls, "  request -> bot's call, in the burst:")
    for pid in sorted(rss_after):
        before = rss_before.get(pid, (0.0, 0.0))[0]
        now, peak = rss_after[pid]
        role = "aarbot" if pid == bot.popen.pid else "its process"
        print(
            f"  RSS {role} {pid}: {before:.1f} MB before the burst, {now:.1f} MB after "
            f"(peak {peak:.1f} MB)"
        )
        verdicts.append((now < RSS_TARGET_MB, f"RSS {role} {pid} {now:.1f} MB < 150 MB"))
    return sent.errors


def log_findings(bot: Process, apps: dict[str, Process]) -> None:
    """What the logs say that bears on the figures: errors, and requests the server queued."""
    text = bot.log.read_text(errors="replace")
    errors = [line for line in text.splitlines() if " ERROR " in line or '"ERROR"' in line]
    depth = {}
    for name, process in apps.items():
        found = re.findall(r"Task queue depth is (\d+)", process.log.read_text(errors="replace"))
        depth[name] = f"{len(found)} (deepest {max(map(int, found), default=0)})"
    if any(not v.startswith("0 ") for v in depth.values()):
        print(
            "  waitress 'Task queue depth' warnings: "
            + ", ".join(f"{k} {v}" for k, v in depth.items())
        )
    print(f"  aarbot logged {len(errors)} errors")
    # Each error's cause is the last line of its traceback.
    causes = re.findall(r"^(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", text, re.M)
    for cause, times in Counter(c[:140] for c in causes).most_common(4):
        print(f"      {times} x {cause}")


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
