"""Kill `aarbot run --http` with SIGKILL while people type, and count what it acked but lost.

Run from anywhere: python bench/crash.py [--kills 20] [--database-url postgresql+psycopg://…]
(default: a SQLite file in a temporary directory). `--quick` is a small run for trying it out.
A PostgreSQL URL gets a fresh schema of its own (`aarbot_crash`), dropped at the end.

The Slack stand-in answers the Web API. aarbot runs as its own process group (the server and
whatever processes it starts) on one database. A few reviews are started through the app (the
/aar command and its modal), then several senders send, at a steady rate, what people send
during a review: thread replies (message events, each with its own text, ts and event id),
Next question clicks (at most as many per review as it has questions to move to; each carries
only the review id, as buttons posted before they carried the question shown did, so every
acked click must move its review once and no stale-click refusal can hide a loss) and Add action
modal submissions (each with its own "what", a stand-in user as owner and a date two weeks
ahead). Meanwhile the whole process group is SIGKILLed at random moments and started again on
the same database, and the senders carry on. A request that got no HTTP 200 (refused
connection, reset, timeout) does not count: Slack would retry it, or tell the person it failed.

Then, one kind after the other, the group is killed the moment each ack arrives, before the
app can do anything after it; it is started again for the next one.

At the end the last app is left to finish (until everything acked is in the database, or
nothing has changed for a while), `aarbot export --format json` is read, and the report
counts, for each kind, the acknowledged inputs, the ones missing from the export (a reply's
text, an action's "what") and the ones stored twice. Next clicks leave no text of their own:
each review's question_index is compared with the clicks acked (and sent) on it. The time from
each reply's ack until its answer is in the database is measured by polling the database
(every 50 ms).

tests/bot/test_crash.py runs the same code, smaller, and asserts 0 missing and 0 doubled.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Lets the script (and the test that imports it) run from a checkout without installing.
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bot.slack.blocks.modals import metadata  # noqa: E402
from bot.slack.ids import Act, Block, View  # noqa: E402
from bot.standin import payloads as p  # noqa: E402
from bot.standin.signing import sign_request  # noqa: E402

BOT_TOKEN = "xoxb-crash"  # noqa: S105 - the stand-in takes any xoxb- token
CHANNEL = "C0GENERAL"
FACILITATOR = "U0ALICE"
PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL")
OWNERS = ("U0BOB", "U0CAROL")
KINDS = ("reply", "next", "action")
# Of the steady traffic: mostly replies, as in a review; Next only while a review has questions.
MIX = {"reply": 0.6, "next": 0.15, "action": 0.25}
POLL = 0.05  # seconds between the database polls that time replies
LOOK_BACK = 500  # answer ids below the highest seen that each poll reads again


# --- what was sent ------------------------------------------------------------------


@dataclass
class Sent:
    """One input sent to the app, and what became of its request."""

    kind: str
    key: str  # the reply's text, the action's "what", or the review id of a Next click
    review_id: int
    sent_at: float  # time.time()
    acked: bool = False
    acked_at: float = 0.0
    refused: str = ""  # a modal answered with errors: 200, but nothing to store
    failure: str = ""  # why there was no 200


@dataclass
class Review:
    """A review the inputs go to."""

    id: int
    message_ts: str
    thread_ts: str
    questions: int  # how many questions its template has


@dataclass
class Result:
    """What a run found, by kind."""

    acked: Counter = field(default_factory=Counter)
    unacked: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)
    doubled: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seed: int = 0
    kills: int = 0
    ack_kills: int = 0
    moves: int = 0  # question moves recorded (sum of question_index)
    next_sent: int = 0
    ready_after: list[float] = field(default_factory=list)  # seconds from start to /readyz 200
    reply_latency: list[float] = field(default_factory=list)  # ack -> in the database, seconds
    replies_unseen_by_poll: int = 0
    drained_in: float = 0.0
    drain_complete: bool = False


# --- the app as a process group ------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**values: str) -> dict[str, str]:
    """Our environment without any aarbot or Slack settings, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env | values


class AppGroup:
    """`aarbot run --http` in a process group of its own, started again after each kill."""

    def __init__(self, env: dict[str, str], workdir: Path, port: int) -> None:
        self.env, self.workdir, self.port = env, workdir, port
        self.log = workdir / "aarbot.log"
        self.popen: subprocess.Popen | None = None
        self.starts: list[float] = []

    def start(self, timeout: float = 90) -> float:
        """Start it and wait until /readyz answers 200; the seconds that took."""
        started = time.monotonic()
        with self.log.open("ab") as out:
            out.write(f"\n--- start {datetime.now(UTC).isoformat()} ---\n".encode())
            out.flush()
            self.popen = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
                [sys.executable, "-m", "bot.cli.main", "run", "--http", "--port", str(self.port)],
                env=self.env,
                cwd=self.workdir,
                stdout=out,
                stderr=out,
                start_new_session=True,  # its own process group, children included
            )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"aarbot exited early:\n{self.tail()}")
            try:
                url = f"http://127.0.0.1:{self.port}/readyz"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        took = time.monotonic() - started
                        self.starts.append(took)
                        return took
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"aarbot did not answer /readyz within {timeout:.0f} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group, at once."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()
        self._reap_group()

    def stop(self) -> None:
        """SIGTERM, a clean exit, SIGKILL if it takes too long."""
        if self.popen is None or self.popen.poll() is not None:
            self._reap_group()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()

    def _reap_group(self) -> None:
        # Children may outlive their parent for a moment; none may keep the port or the database.
        assert self.popen is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.popen.pid, 0)
            except ProcessLookupError:
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            time.sleep(0.05)

    def tail(self) -> str:
        """The end of its log."""
        return self.log.read_text(errors="replace")[-4000:]


# --- signed requests -----------------------------------------------------------------


def post(port: int, secret: str, body: str, content_type: str, timeout: float = 10):
    """One signed POST to /slack/events: (status, body), or (None, why) without an answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            "/slack/events",
            body.encode(),
            sign_request(body, secret, content_type=content_type),
        )
        answer = conn.getresponse()
        return answer.status, answer.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as err:
        return None, f"{type(err).__name__}: {err}"
    finally:
        conn.close()


class Inputs:
    """Builds unique inputs; keeps what was sent."""

    def __init__(self, reviews: list[Review], tag: str) -> None:
        self.reviews = reviews
        self.tag = tag
        self.sent: list[Sent] = []
        self.next_sent: Counter = Counter()
        self.reserve = 0  # Next clicks the steady senders leave for the kills at an ack
        self._serial = 0
        self._lock = threading.Lock()
        self._random = random.Random(tag)

    def _number(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def choose(self) -> str:
        """The kind of the next steady input: Next only while more questions are left to move
        to than `reserve` (kept for the kills at an ack)."""
        with self._lock:
            kind = self._random.choices(list(MIX), weights=list(MIX.values()))[0]
            if kind == "next" and self._left() <= self.reserve:
                kind = "reply"
            return kind

    def _left(self) -> int:
        return sum(max(0, r.questions - 1 - self.next_sent[r.id]) for r in self.reviews)

    def _next_review(self) -> Review | None:
        # The review with the most questions left, so clicks spread over the reviews.
        left = [(r.questions - 1 - self.next_sent[r.id], r.id, r) for r in self.reviews]
        best = max(left, key=lambda x: (x[0], -x[1]))
        return best[2] if best[0] > 0 else None

    def build(self, kind: str) -> tuple[Sent, str, str] | None:
        """An input of `kind`: what it is, its body and content type (None: no Next left)."""
        n = self._number()
        if kind == "next":
            with self._lock:
                review = self._next_review()
                if review is None:
                    return None
                self.next_sent[review.id] += 1
            body = p.block_actions(
                user_id=FACILITATOR,
                action_id=Act.NEXT,
                value=str(review.id),
                channel_id=CHANNEL,
                message_ts=review.message_ts,
            )
            return Sent(kind, str(review.id), review.id, time.time()), body, "form"
        review = self.reviews[n % len(self.reviews)]
        if kind == "reply":
            text = f"Reply {n} of run {self.tag}: the canary waited on a manual check"
            event = p.message_event(
                channel=CHANNEL,
                user=PEOPLE[n % len(PEOPLE)],
                text=text,
                ts=f"{1_800_000_000 + n}.{n % 1_000_000:06d}",
                thread_ts=review.thread_ts,
            )
            body = p.event_callback(event, event_id=f"EvCRASH{self.tag}{n:07d}")
            return Sent(kind, text, review.id, time.time()), body, "json"
        what = f"Action {n} of run {self.tag}: add a live flag check to deploy step {n}"
        when = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
        values = {
            Block.WHAT: {Block.WHAT: p.text_value(what)},
            Block.OWNER: {Block.OWNER: p.user_value(OWNERS[n % len(OWNERS)])},
            Block.REVIEW_DATE: {Block.REVIEW_DATE: p.date_value(when)},
            Block.CRITERION: {Block.CRITERION: p.text_value("No deploy incident for 30 days")},
            Block.KIND: {Block.KIND: p.option_value("fix")},
        }
        body = p.view_submission(
            user_id=FACILITATOR,
            callback_id=View.ADD_ACTION,
            values=values,
            private_metadata=metadata(review=review.id),
        )
        return Sent(kind, what, review.id, time.time()), body, "form"

    def record(self, sent: Sent, status: int | None, answer: str) -> None:
        """Note how the app answered."""
        if status == 200:
            refusal = _refusal(answer)
            if refusal:
                sent.refused = refusal
            else:
                sent.acked, sent.acked_at = True, time.time()
        else:
            sent.failure = answer if status is None else f"HTTP {status}"
        with self._lock:
            self.sent.append(sent)


def _refusal(answer: str) -> str:
    """A modal's `response_action: errors`, as one line; empty for a plain ack."""
    if not answer.strip().startswith("{"):
        return ""
    with contextlib.suppress(ValueError):
        parsed = json.loads(answer)
        if isinstance(parsed, dict) and parsed.get("response_action") == "errors":
            return json.dumps(parsed.get("errors"))[:200]
    return ""


# --- setting up ----------------------------------------------------------------------


def start_reviews(
    app: AppGroup, secret: str, engine, count: int, tag: str, response_url: str
) -> list[Review]:
    """Start `count` reviews through the app (/aar, then its modal); wait until each is posted."""
    from sqlmodel import Session, col, select

    from flows.templates import builtin_templates
    from storage.models import Review as ReviewRow

    questions = len(builtin_templates()["miss"].questions)
    for n in range(1, count + 1):
        title = f"Checkout outage {n} ({tag})"
        command = p.slash_command(
            text=title, user_id=FACILITATOR, channel_id=CHANNEL, response_url=response_url
        )
        values = {
            Block.TITLE: {Block.TITLE: p.text_value(title)},
            Block.TEMPLATE: {Block.TEMPLATE: p.option_value("miss")},
            Block.WHAT_HAPPENED: {Block.WHAT_HAPPENED: p.text_value("Errors for 40 minutes")},
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
            status, answer = post(app.port, secret, body, "form")
            if status != 200:
                raise RuntimeError(f"starting review {n}: {status} {answer}\n{app.tail()}")
    deadline = time.monotonic() + 60
    while True:
        with Session(engine) as session:
            posted = session.exec(
                select(ReviewRow).where(col(ReviewRow.thread_ts).is_not(None))
            ).all()
        if len(posted) >= count:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(posted)} of {count} reviews posted in 60 s\n{app.tail()}")
        time.sleep(0.1)
    reviews = [Review(r.id, r.message_ts, r.thread_ts, questions) for r in posted]
    _look_up_owners(app, secret, engine, reviews[0])
    return sorted(reviews, key=lambda r: r.id)


def _look_up_owners(app: AppGroup, secret: str, engine, review: Review) -> None:
    """Pick each owner once in an Add action modal, as a person does before submitting.

    Where picking an owner is what caches them, this keeps every submission from being
    refused with "checking this person"; where the submission looks them up itself, it only
    warms that cache.
    """
    from sqlmodel import Session, select

    from storage.models import SlackUser

    view = {
        "id": "VCRASHOWNERS",
        "callback_id": View.ADD_ACTION,
        "private_metadata": metadata(review=review.id),
        "state": {"values": {}},
    }
    for owner in OWNERS:
        body = p.block_actions(
            user_id=FACILITATOR,
            action_id=Block.OWNER,
            block_id=Block.OWNER,
            selected_user=owner,
            view=view,
        )
        post(app.port, secret, body, "form")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Session(engine) as session:
            known = {u.user_id for u in session.exec(select(SlackUser))}
        if set(OWNERS) <= known:
            return
        time.sleep(0.1)


# --- the run ------------------------------------------------------------------------


def reader(url: str):
    """An engine for watching the database from outside: plain reads that take no write lock
    and leave the app's own connection settings alone."""
    from sqlalchemy import create_engine

    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_size=2)


class ReplyClock(threading.Thread):
    """Polls the answers table; notes when each text first appears."""

    def __init__(self, engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.seen: dict[str, float] = {}
        self.stopping = threading.Event()
        self._last = 0

    def run(self) -> None:
        from sqlalchemy import text

        while not self.stopping.is_set():
            with contextlib.suppress(Exception), self.engine.connect() as conn:
                # Ids are handed out before commit, so a row may turn up below the highest
                # id seen: look back a little.
                rows = conn.execute(
                    text("SELECT id, text FROM answers WHERE id > :floor"),
                    {"floor": self._last - LOOK_BACK},
                ).all()
                now = time.time()
                for row_id, answer_text in rows:
                    self.seen.setdefault(answer_text, now)
                    self._last = max(self._last, row_id)
            self.stopping.wait(POLL)


def steady(
    app: AppGroup,
    secret: str,
    inputs: Inputs,
    *,
    kills: int,
    senders: int,
    rate: float,
    between: tuple[float, float],
    rng: random.Random,
    result: Result,
    say=print,
) -> None:
    """Senders at `rate` requests/s in all; `kills` SIGKILLs at random moments meanwhile."""
    stopping = threading.Event()
    period = senders / rate

    def sender(number: int) -> None:
        next_at = time.monotonic() + period * number / senders
        while not stopping.is_set():
            built = inputs.build(inputs.choose()) or inputs.build("reply")
            if built is not None:
                sent, body, content_type = built
                status, answer = post(app.port, secret, body, content_type)
                inputs.record(sent, status, answer)
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))

    threads = [threading.Thread(target=sender, args=(n,), daemon=True) for n in range(senders)]
    for thread in threads:
        thread.start()
    try:
        for number in range(1, kills + 1):
            time.sleep(rng.uniform(*between))
            app.kill()
            result.kills += 1
            took = app.start()
            result.ready_after.append(took)
            say(f"  kill {number}/{kills}: up again in {took:.1f} s")
        time.sleep(rng.uniform(*between))  # and carry on a while after the last restart
    finally:
        stopping.set()
        for thread in threads:
            thread.join(30)


def kill_at_each_ack(
    app: AppGroup, secret: str, inputs: Inputs, *, per_kind: int, result: Result, say=print
) -> None:
    """For each kind, `per_kind` times: send one input and SIGKILL the group as its ack arrives."""
    for kind in KINDS:
        done = 0
        while done < per_kind:
            built = inputs.build(kind)
            if built is None:  # no review has a question left to move to
                break
            sent, body, content_type = built
            conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
            try:
                conn.request(
                    "POST",
                    "/slack/events",
                    body.encode(),
                    sign_request(body, secret, content_type=content_type),
                )
                answer = conn.getresponse()
                status = answer.status
                answer_body = answer.read().decode(errors="replace")
                if status == 200:
                    app.kill()  # the moment the ack is in: nothing after it has had a chance
            except (OSError, http.client.HTTPException) as err:
                status, answer_body = None, f"{type(err).__name__}: {err}"
            finally:
                conn.close()
            inputs.record(sent, status, answer_body)
            if sent.acked:
                done += 1
                result.ack_kills += 1
            if app.popen is None or app.popen.poll() is not None:
                result.ready_after.append(app.start())
        say(f"  killed at {done} {kind} acks")


def drain(engine, inputs: Inputs, *, timeout: float, settle: float) -> tuple[float, bool]:
    """Wait until every acked input is in the database (and stays so), or nothing changes for
    `settle` s, or `timeout`; the seconds waited and whether everything acked arrived."""
    from sqlalchemy import text

    acked = [s for s in inputs.sent if s.acked]
    replies = {s.key for s in acked if s.kind == "reply"}
    actions = {s.key for s in acked if s.kind == "action"}
    nexts = Counter(s.review_id for s in acked if s.kind == "next")
    started = time.monotonic()
    last, changed, complete_since = None, time.monotonic(), None
    while True:
        with engine.connect() as conn:
            texts = set(conn.execute(text("SELECT text FROM answers")).scalars())
            whats = set(conn.execute(text("SELECT what FROM actions")).scalars())
            index = dict(conn.execute(text("SELECT id, question_index FROM reviews")).all())
        now = time.monotonic()
        state = (len(texts), len(whats), sum(index.values()))
        if state != last:
            last, changed = state, now
        complete = (
            replies <= texts
            and actions <= whats
            and all(index.get(r, 0) >= n for r, n in nexts.items())
        )
        complete_since = (complete_since or now) if complete else None
        if complete_since is not None and now - complete_since >= 2.0 and now - changed >= 2.0:
            return now - started, True
        if now - changed >= settle or now - started >= timeout:
            return now - started, complete
        time.sleep(0.25)


def export(env: dict[str, str], workdir: Path) -> dict:
    """`aarbot export --format json`, parsed."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "export", "--format", "json"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"aarbot export failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def count(document: dict, inputs: Inputs, result: Result) -> None:
    """Compare what was acked with what the export holds."""
    stored = {
        "reply": Counter(a["text"] for r in document["reviews"] for a in r["answers"]),
        "action": Counter(a["what"] for r in document["reviews"] for a in r["actions"]),
    }
    for sent in inputs.sent:
        if sent.acked:
            result.acked[sent.kind] += 1
        elif sent.refused:
            result.refused[sent.kind] += 1
            _example(result, f"refused {sent.kind}", sent.refused)
        else:
            result.unacked[sent.kind] += 1
        if sent.kind not in stored:
            continue
        times = stored[sent.kind][sent.key]
        if sent.acked and times == 0:
            result.missing[sent.kind] += 1
            _example(result, f"missing {sent.kind}", sent.key)
        if times > 1:
            result.doubled[sent.kind] += 1
            _example(result, f"doubled {sent.kind}", f"{sent.key} ({times}x)")
    _count_moves(document, inputs, result)


def _count_moves(document: dict, inputs: Inputs, result: Result) -> None:
    """Next clicks: each review's moves against the clicks acked on it (and sent to it)."""
    index = {r["id"]: r["question_index"] for r in document["reviews"]}
    acked, sent_to = Counter(), Counter()
    for sent in inputs.sent:
        if sent.kind == "next":
            sent_to[sent.review_id] += 1
            acked[sent.review_id] += sent.acked
    for review in inputs.reviews:
        moved = index.get(review.id, 0)
        result.moves += moved
        result.next_sent += sent_to[review.id]
        if moved < acked[review.id]:
            result.missing["next"] += acked[review.id] - moved
            _example(
                result,
                "missing next",
                f"review {review.id}: {acked[review.id]} acked, {moved} moves",
            )
        if moved > sent_to[review.id]:
            result.doubled["next"] += moved - sent_to[review.id]
            _example(
                result,
                "doubled next",
                f"review {review.id}: {sent_to[review.id]} sent, {moved} moves",
            )


def _example(result: Result, what: str, example: str) -> None:
    if len(result.examples[what]) < 3:
        result.examples[what].append(example)


def run(
    *,
    database_url: str,
    api_url: str,
    workdir: Path,
    kills: int = 20,
    ack_kills: int = 6,
    senders: int = 4,
    rate: float = 8.0,
    reviews: int = 10,
    between: tuple[float, float] = (1.0, 5.0),
    seed: int | None = None,
    settle: float = 90.0,
    drain_timeout: float = 240.0,
    lease: int | None = None,
    say=print,
) -> Result:
    """The whole kill run on an empty, migrated database; what it found.

    `lease` sets AARBOT_JOB_LEASE_SECONDS, how long a job claimed by a killed process waits
    before another worker takes it; `settle` (how long the end waits for nothing more to change)
    must outlast it.
    """
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed)
    tag = f"{seed:x}"
    secret = f"crash-{tag}"
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        AARBOT_DATABASE_URL=database_url,
    )
    if lease is not None:
        env["AARBOT_JOB_LEASE_SECONDS"] = str(lease)
    result = Result(seed=seed)
    app = AppGroup(env, workdir, free_port())
    engine = reader(database_url)
    clock = ReplyClock(engine)
    try:
        result.ready_after.append(app.start())
        say(f"seed {seed}; aarbot up in {result.ready_after[0]:.1f} s; starting {reviews} reviews")
        response_url = api_url.rstrip("/").removesuffix("/api") + "/response/crash"
        inputs = Inputs(start_reviews(app, secret, engine, reviews, tag, response_url), tag)
        inputs.reserve = ack_kills
        clock.start()
        say(f"{senders} senders at {rate:g} requests/s in all, {kills} kills at random moments")
        steady(
            app,
            secret,
            inputs,
            kills=kills,
            senders=senders,
            rate=rate,
            between=between,
            rng=rng,
            result=result,
            say=say,
        )
        say(f"killing the group as each ack arrives, {ack_kills} of each kind")
        kill_at_each_ack(app, secret, inputs, per_kind=ack_kills, result=result, say=say)
        result.drained_in, result.drain_complete = drain(
            engine, inputs, timeout=drain_timeout, settle=settle
        )
        clock.stopping.set()
        clock.join(5)
        count(export(env, workdir), inputs, result)
        for sent in inputs.sent:
            if sent.kind == "reply" and sent.acked:
                if sent.key in clock.seen:
                    result.reply_latency.append(max(0.0, clock.seen[sent.key] - sent.acked_at))
                else:
                    result.replies_unseen_by_poll += 1
    finally:
        clock.stopping.set()
        app.stop()
        engine.dispose()
    return result


# --- the report ----------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def report(result: Result) -> int:
    """Print what the run found; the number of inputs missing or doubled."""
    print()
    print(
        f"{result.kills} random kills, {result.ack_kills} kills at an ack; the app answered "
        f"/readyz {percentile(result.ready_after, 0.5):.1f} s after a start (median), "
        f"{max(result.ready_after):.1f} s at most"
    )
    print(
        f"drained in {result.drained_in:.1f} s"
        + ("" if result.drain_complete else " (gave up waiting: not everything acked arrived)")
    )
    print(f"{'kind':<8} {'acked':>6} {'no ack':>7} {'refused':>8} {'missing':>8} {'doubled':>8}")
    for kind in KINDS:
        print(
            f"{kind:<8} {result.acked[kind]:>6} {result.unacked[kind]:>7} "
            f"{result.refused[kind]:>8} {result.missing[kind]:>8} {result.doubled[kind]:>8}"
        )
    print(
        f"Next clicks: {result.acked['next']} acked, {result.next_sent} sent, "
        f"{result.moves} question moves recorded"
    )
    for what, examples in result.examples.items():
        for example in examples[:3]:
            print(f"    {what}: {example}")
    if result.reply_latency:
        lat = result.reply_latency
        print(
            f"reply ack -> answer in the database: p50 {percentile(lat, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(lat, 0.95) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms "
            f"({len(lat)} replies, polled every {POLL * 1000:.0f} ms"
            + (
                f"; {result.replies_unseen_by_poll} acked never seen"
                if result.replies_unseen_by_poll
                else ""
            )
            + ")"
        )
    lost = sum(result.missing.values()) + sum(result.doubled.values())
    print(
        "\n0 missing, 0 stored twice: target met"
        if not lost
        else f"\n{sum(result.missing.values())} missing, {sum(result.doubled.values())} "
        "stored twice: target (0) missed"
    )
    return lost


def fresh_database(
    url: str | None, workdir: Path, schema: str = "aarbot_crash"
) -> tuple[str, Callable[[], None]]:
    """An empty database, migrated with `aarbot db upgrade`: a new SQLite file, or on
    PostgreSQL a new `schema`; its URL and how to drop it."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine

    if url is None:
        url = f"sqlite:///{workdir / 'crash.db'}"

        def drop() -> None:
            return None
    else:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        base = url
        url = (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )

        def drop() -> None:
            engine = make_engine(base)
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()

    subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "db", "upgrade"],
        env=clean_env(DATABASE_URL=url, AARBOT_DATABASE_URL=url),
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    return url, drop


def main() -> None:
    """Start the stand-in, run the kills, print the report; exit 1 if anything was lost."""
    from ack_apps import start_standin

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL (default: a temporary SQLite file)")
    parser.add_argument("--kills", type=int, default=20, help="random SIGKILLs (default 20)")
    parser.add_argument("--ack-kills", type=int, default=6, help="kills at an ack, per kind")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--rate", type=float, default=8.0, help="requests/s from all senders")
    parser.add_argument("--reviews", type=int, default=10)
    parser.add_argument("--seed", type=int, help="for the kill moments and the mix")
    parser.add_argument(
        "--lease", type=int, help="AARBOT_JOB_LEASE_SECONDS (default: aarbot's own)"
    )
    parser.add_argument("--quick", action="store_true", help="5 kills, 2 at an ack per kind")
    parser.add_argument("--keep", metavar="DIR", help="keep the logs and database in DIR (new)")
    args = parser.parse_args()
    if args.quick:
        args.kills, args.ack_kills, args.reviews = 5, 2, 4
    with tempfile.TemporaryDirectory(prefix="aarbot-crash-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=bool(not args.keep))
        url, drop = fresh_database(args.database_url, workdir)
        backend = url.split(":", 1)[0].split("+", maxsplit=1)[0]
        print(
            f"aarbot crash benchmark on {backend}: {os.cpu_count()} CPUs, load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        standin = start_standin(clean_env(), workdir)
        try:
            result = run(
                database_url=url,
                api_url=f"http://127.0.0.1:{standin.port}/api/",
                workdir=workdir,
                kills=args.kills,
                ack_kills=args.ack_kills,
                senders=args.senders,
                rate=args.rate,
                reviews=args.reviews,
                seed=args.seed,
                lease=args.lease,
                settle=90.0 if args.lease is None else args.lease + 20.0,
            )
        finally:
            standin.stop()
            drop()
        lost = report(result)
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
