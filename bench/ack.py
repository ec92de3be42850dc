"""Measure how fast `aarbot run --http` acks Slack, against a bare Bolt app in the same run.

Run from anywhere: python bench/ack.py [--requests 10000] [--database-url postgresql+psycopg://…]
(default: a temporary SQLite file, as `aarbot run` uses out of the box). `--quick` is a small
run for trying things out. The full run takes one to two minutes on 2 cores.

Four processes: this one sends; the Slack stand-in answers the Web API; `aarbot run --http`
(scheduler on, as operators run it) and the baseline, a bare Bolt app whose listeners only
ack, served by waitress with the same thread count, are measured. Both get the same signed
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
import http.client
import itertools
import os
import platform
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
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

from bot.ids import Act, Block, View
from bot.settings import Settings
from bot.standin import payloads as p
from bot.standin.signing import sign_request

KINDS = ("command", "click", "event")
CHANNEL = "C0GENERAL"
FACILITATOR = "U0ALICE"
PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL")
REPLIES = (
    "We expected the deploy to finish before the traffic peak",
    "The rollout took 40 minutes because the canary stage waited on a manual check",
    "We assumed the feature flag kept the new code path off in production",
    "Staging was green and the flag dashboard showed OFF",
    "The flag service had been migrated the day before",
    "It was Bob's fault, he is careless with deploys",  # blame: gets a coaching ephemeral
    "Nobody owned the checklist after the team change",
    "The alert fired but went to a channel nobody watches on Fridays",
    "We rolled back by hand, which took 12 minutes",
    "Next time we check live flag state before every rollout",
)
TICKS = os.sysconf("SC_CLK_TCK")
# Targets from DESIGN.md §7.
P99_TARGET_MS = 100.0
RATIO_TARGET = 1.5
RSS_TARGET_MB = 150.0


# --- the requests -------------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    """A review the clicks and replies go to."""

    review_id: int
    message_ts: str
    thread_ts: str


@dataclass
class Traffic:
    """Builds the i-th request: a third each commands, clicks and thread replies."""

    reviews: list[Thread]
    response_url: str
    first_question: str
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def build(self, i: int) -> tuple[str, str, str]:
        """Kind, body and content type of request number `i`."""
        kind, n = KINDS[i % 3], i // 3
        if kind == "command":
            text = ("help", "list", "")[n % 3]
            body = p.slash_command(
                text=text,
                user_id=PEOPLE[n % 3],
                channel_id=CHANNEL,
                response_url=self.response_url,
            )
            return kind, body, "form"
        review = self.reviews[n % len(self.reviews)]
        step = n // len(self.reviews)
        if kind == "click":
            act = (Act.ANSWER, Act.NEXT, Act.ANSWER, Act.BACK)[step % 4]
            value = str(review.review_id)
            if act == Act.ANSWER:
                value += f":{self.first_question}"
            body = p.block_actions(
                user_id=FACILITATOR,
                action_id=act,
                value=value,
                channel_id=CHANNEL,
                message_ts=review.message_ts,
                response_url=self.response_url,
            )
            return kind, body, "form"
        serial = next(self._serial)
        event = p.message_event(
            channel=CHANNEL,
            user=PEOPLE[step % 3],
            text=REPLIES[serial % len(REPLIES)],
            ts=f"{int(time.time())}.{serial % 1_000_000:06d}",
            thread_ts=review.thread_ts,
        )
        return kind, p.event_callback(event, event_id=f"EvBENCH{serial:08d}"), "json"


@dataclass
class Measured:
    """Latencies (seconds) by kind, failures, and the time spent sending."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0
    # CPU seconds the app and the stand-in used in its rounds, its work after the acks included.
    cpu: float = 0.0
    standin_cpu: float = 0.0

    def add(self, other: Measured) -> None:
        """Fold another round in."""
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        self.errors.extend(other.errors)
        self.seconds += other.seconds
        self.requests += other.requests
        self.cpu += other.cpu
        self.standin_cpu += other.standin_cpu


def send(
    port: int, secret: str, build: Callable[[int], tuple[str, str, str]], count: int, senders: int
) -> Measured:
    """Send `count` requests from `senders` threads, each on its own keep-alive connection."""
    result = Measured(requests=count)
    numbers = iter(range(count))
    lock = threading.Lock()

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[tuple[str, float]] = []
        failed: list[str] = []
        for i in numbers:  # a shared iterator: each request number is taken once
            kind, body, content_type = build(i)
            headers = sign_request(body, secret, content_type=content_type)
            data = body.encode()
            started = time.perf_counter()
            try:
                conn.request("POST", "/slack/events", data, headers)
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException) as err:
                failed.append(f"{kind}: {type(err).__name__}: {err}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((kind, time.perf_counter() - started))
            if status != 200:
                failed.append(f"{kind}: HTTP {status}")
        conn.close()
        with lock:
            for kind, seconds in mine:
                result.latencies[kind].append(seconds)
            result.errors.extend(failed)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def post(port: int, secret: str, body: str, content_type: str = "form") -> int:
    """One signed POST to /slack/events; the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            "/slack/events",
            body.encode(),
            sign_request(body, secret, content_type=content_type),
        )
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def start_reviews(bot: Process, secret: str, database_url: str, count: int, response_url: str):
    """Start `count` reviews through the bot (/aar, then the modal), one after the other."""
    from sqlmodel import Session, col, select

    from bot.blocks.modals import metadata
    from storage.db import make_engine
    from storage.models import Review

    engine = make_engine(database_url)
    try:
        for n in range(1, count + 1):
            title = f"Checkout outage after deploy {n}"
            command = p.slash_command(
                text=title, user_id=FACILITATOR, channel_id=CHANNEL, response_url=response_url
            )
            values = {
                Block.TITLE: {Block.TITLE: p.text_value(title)},
                Block.TEMPLATE: {Block.TEMPLATE: p.option_value("miss")},
                Block.WHAT_HAPPENED: {Block.WHAT_HAPPENED: p.text_value("Errors for 40 min")},
                Block.PARTICIPANTS: {Block.PARTICIPANTS: p.users_value(["U0BOB", "U0CAROL"])},
                Block.OPTIONS: {Block.OPTIONS: p.checkboxes_value([])},
            }
            submit = p.view_submission(
                user_id=FACILITATOR,
                callback_id=View.START,
                values=values,
                private_metadata=metadata(channel=CHANNEL),
            )
            for body in (command, submit):
                if (status := post(bot.port, secret, body)) != 200:
                    bot.fail(f"starting review {n}: the bot answered HTTP {status}")
            deadline = time.monotonic() + 30
            while True:
                with Session(engine) as session:
                    posted = session.exec(
                        select(Review).where(col(Review.thread_ts).is_not(None))
                    ).all()
                if len(posted) >= n:
                    # Let its work after the ack finish: on SQLite, a review started while
                    # the last one is still being posted can fail with "database is locked".
                    bot.wait_idle()
                    break
                if time.monotonic() > deadline:
                    bot.fail(f"review {n} was not posted within 30 s")
                time.sleep(0.05)
    finally:
        engine.dispose()
    return [Thread(r.id, r.message_ts, r.thread_ts) for r in sorted(posted, key=lambda r: r.id)]


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
    print(f"{len(threads)} reviews, {args.warmup} warm-up requests each; load average now {load()}")
    print()
    met = report(measured["baseline"], measured["aarbot"], drained)
    print(
        f"aarbot RSS: {rss_before:.1f} MB after setup and warm-up, {rss[0]:.1f} MB after "
        f"{args.requests} more requests (peak {rss[1]:.1f} MB)"
    )
    log_findings(bot, base)
    print()
    verdicts = [*met, (rss[0] < RSS_TARGET_MB, f"aarbot RSS {rss[0]:.1f} MB < 150 MB")]
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
