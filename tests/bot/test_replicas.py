"""Two `aarbot run` replicas on one PostgreSQL database: nothing is done twice.

Both processes start at the same moment on a fresh database (so both try to migrate), then
Slack's requests are spread across them: the start of a review, thread replies (one of them
delivered to both, as a Slack retry would be), and an action whose nudges are then made due.
Both schedulers sweep every 5 seconds, racing for the same nudges.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from bot.slack.ids import Act, Block
from bot.standin import SlackStandIn, payloads, sign_request
from storage.db import head_revision, make_engine
from storage.models import Action, Answer, Nudge, ProcessedEvent, Review
from tests.bot.reviewing import action_values, start_values
from tests.conftest import SIGNING_SECRET
from tests.database import PG_SKIP_REASON, fresh_postgres_schema, postgres_url

SWEEP_SECONDS = 5  # the shortest AARBOT_SWEEP_SECONDS allows
CHANNEL = "C0GENERAL"
FACILITATOR = "U0ALICE"
OWNER = "U0BOB"
REPLIES = (
    ("U0BOB", "We expected the deploy to finish before the traffic peak"),
    ("U0CAROL", "Checkout returned errors for 40 minutes"),
    ("U0ALICE", "We assumed the flag kept the new code path off"),
    ("U0BOB", "The flag service had been migrated the day before"),
)


@dataclass
class Replica:
    """One `aarbot run --http` process."""

    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything it printed and logged so far."""
        return self.log.read_text(errors="replace")

    def post(self, body: str, *, json_body: bool = False, **headers: str) -> tuple[int, str]:
        """POST a signed request to /slack/events, as Slack would."""
        signed = sign_request(body, SIGNING_SECRET, content_type="json" if json_body else "form")
        request = urllib.request.Request(
            f"{self.base}/slack/events",
            data=body.encode(),
            headers=signed | headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def sweeps(self) -> int:
        """How many nudge sweeps its scheduler has finished."""
        return len(re.findall(r"job sweep-nudges finished", self.output()))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(name: str, env: dict[str, str], workdir: Path) -> Replica:
    port = _free_port()
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run", "--http", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Replica(name, port, process, log)


def _wait_ready(replica: Replica, deadline: float) -> dict:
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            pytest.fail(f"{replica.name} exited early:\n{replica.output()}")
        try:
            with urllib.request.urlopen(f"{replica.base}/readyz", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{replica.name} was not ready in time:\n{replica.output()}")


def _eventually(check, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def replica_url() -> Iterator[str]:
    """A fresh, never migrated PostgreSQL schema that both replicas and the test use."""
    pg = postgres_url()
    if not pg:
        pytest.skip(f"two replicas need PostgreSQL: {PG_SKIP_REASON}")
    schema = f"aarbot_replicas_{os.getpid()}"
    url = fresh_postgres_schema(pg, schema)
    yield url
    admin = make_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def replicas(tmp_path: Path, standin: SlackStandIn, replica_url: str) -> Iterator[list[Replica]]:
    """Two replicas started at the same moment; stopped with SIGTERM, which must be clean."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    env.pop("DATABASE_URL", None)
    env |= {
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
        "DATABASE_URL": replica_url,
        "AARBOT_SWEEP_SECONDS": str(SWEEP_SECONDS),
        # The weekly digest must not post in the middle of the count of nudge posts.
        "AARBOT_DIGEST_DAY": (datetime.now(UTC) - timedelta(days=1)).strftime("%a").lower(),
    }
    started = [_start(name, env, tmp_path) for name in ("a", "b")]
    yield started
    for replica in started:
        replica.process.send_signal(signal.SIGTERM)
    for replica in started:
        try:
            replica.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            replica.process.kill()
        assert replica.process.returncode == 0, replica.output()


@pytest.fixture
def db(replica_url: str) -> Iterator[Engine]:
    """The test's own engine on the replicas' database."""
    engine = make_engine(replica_url)
    yield engine
    engine.dispose()


def _count(db: Engine, model, *where) -> int:
    with Session(db) as session:
        return len(session.exec(select(model).where(*where)).all())


def test_two_replicas_migrate_once_and_never_do_anything_twice(
    replicas: list[Replica], standin: SlackStandIn, db: Engine
) -> None:
    a, b = replicas
    deadline = time.monotonic() + 30
    for replica in replicas:
        ready = _wait_ready(replica, deadline)
        assert ready["status"] == "ok", ready
        assert ready["migrations"]["current"] == head_revision()
    # One replica migrated while the other waited on the advisory lock, then found nothing
    # to do; both would have crashed on CREATE TABLE of an existing table without it.
    migrated = [r.name for r in replicas if "Running upgrade  -> 0001" in r.output()]
    assert len(migrated) == 1, [r.output() for r in replicas]
    with db.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [head_revision()]

    # /aar on one replica, the modal's submission on the other.
    status, _ = a.post(
        payloads.slash_command(
            text="Checkout outage",
            user_id=FACILITATOR,
            channel_id=CHANNEL,
            response_url=standin.response_url("start"),
        )
    )
    assert status == 200
    _eventually(lambda: standin.open_views, "the start modal")
    view = standin.open_views[-1]
    status, body = b.post(
        payloads.view_submission(
            user_id=FACILITATOR,
            callback_id=view["callback_id"],
            values=start_values(title="Checkout outage", participants=("U0BOB", "U0CAROL")),
            private_metadata=view.get("private_metadata", ""),
            view_id=view.get("id"),
        )
    )
    assert status == 200, body
    _eventually(
        lambda: _count(db, Review, col(Review.thread_ts).is_not(None)) == 1, "the review message"
    )
    with Session(db) as session:
        review = session.exec(select(Review)).one()

    # Thread replies alternate between the replicas; one is delivered to both at once, the
    # second time marked as Slack's retry.
    for n, (user, said) in enumerate(REPLIES):
        message = standin.add_message(CHANNEL, user, said, thread_ts=review.thread_ts)
        event = payloads.message_event(
            channel=CHANNEL, user=user, text=said, ts=message["ts"], thread_ts=review.thread_ts
        )
        status, _ = replicas[n % 2].post(payloads.event_callback(event), json_body=True)
        assert status == 200
    message = standin.add_message(CHANNEL, "U0CAROL", "Nobody owned the flag migration")
    retried = payloads.event_callback(
        payloads.message_event(
            channel=CHANNEL,
            user="U0CAROL",
            text="Nobody owned the flag migration",
            ts=message["ts"],
            thread_ts=review.thread_ts,
        ),
        event_id="Ev0RETRIED",
    )
    answers: list[int] = []
    both = [
        threading.Thread(target=lambda: answers.append(a.post(retried, json_body=True)[0])),
        threading.Thread(
            target=lambda: answers.append(
                b.post(retried, json_body=True, **{"X-Slack-Retry-Num": "1"})[0]
            )
        ),
    ]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    assert answers == [200, 200]
    _eventually(
        lambda: _count(db, Answer, col(Answer.message_ts).is_not(None)) >= len(REPLIES) + 1,
        "the thread replies to be stored",
    )

    # An action added across the replicas: the button on one, the modal's submission on the
    # other, submitted again if the owner is still being looked up.
    views_before = len(standin.open_views)
    status, _ = b.post(
        payloads.block_actions(
            user_id=FACILITATOR,
            action_id=Act.ADD_ACTION,
            value=str(review.id),
            channel_id=CHANNEL,
            message_ts=review.message_ts,
            response_url=standin.response_url("add", channel=CHANNEL, user=FACILITATOR),
        )
    )
    assert status == 200
    _eventually(lambda: len(standin.open_views) > views_before, "the action modal")
    view = standin.open_views[-1]
    submission = payloads.view_submission(
        user_id=FACILITATOR,
        callback_id=view["callback_id"],
        values=action_values(owner=OWNER),
        private_metadata=view.get("private_metadata", ""),
        view_id=view.get("id"),
    )

    def submitted() -> bool:
        status, body = a.post(submission)
        assert status == 200, body
        if body and "errors" in json.loads(body):
            assert set(json.loads(body)["errors"]) == {Block.OWNER}, body
            return False
        return True

    _eventually(submitted, "the action to be accepted", timeout=10)
    _eventually(lambda: _count(db, Nudge) >= 4, "the action's nudges to be planned")
    with Session(db) as session:
        action = session.exec(select(Action)).one()
        planned = session.exec(select(Nudge).where(Nudge.action_id == action.id)).all()
    assert len(planned) == 4, planned

    _settle(standin)  # the action's own posts are done; every post from here on is a nudge
    calls_before = len(standin.calls)
    # Slack's own latency: a sweep then takes a while to send what it claimed, so the other
    # replica's sweep runs while those nudges are still claimed and not yet sent.
    standin.latency = 0.05
    # Make every planned nudge due within the next few seconds, one after another, so that
    # sweeps of both replicas find some of them.
    now = datetime.now(UTC)
    with db.begin() as conn:
        for n, nudge in enumerate(sorted(planned, key=lambda x: x.due_at)):
            conn.execute(
                text("UPDATE nudges SET due_at = :due WHERE id = :id"),
                {"due": now + timedelta(seconds=2 * n - 1), "id": nudge.id},
            )
    swept = {r.name: r.sweeps() for r in replicas}
    # A sweep that finds several of them due at once sends the most relevant and supersedes
    # the others (bot/jobs/nudges.py): which ones depends on when the sweeps fall.
    gone = col(Nudge.status).in_(["sent", "superseded"])
    _eventually(
        lambda: _count(db, Nudge, gone) == len(planned),
        "every nudge to be sent (or superseded)",
        timeout=2 * len(planned) + 3 * SWEEP_SECONDS,
    )
    # Every replica swept while they were falling due, and once more after all were sent:
    # a sent nudge is never picked up again.
    done = {r.name: r.sweeps() for r in replicas}
    _eventually(
        lambda: all(r.sweeps() > max(done[r.name], swept[r.name]) for r in replicas),
        "another sweep in each replica",
        timeout=2 * SWEEP_SECONDS + 2,
    )

    # Exactly one review, posted once.
    assert _count(db, Review) == 1
    roots = [
        c
        for c in standin.calls_to("chat.postMessage")
        if c.args.get("channel") == CHANNEL and not c.args.get("thread_ts")
    ]
    assert len(roots) == 1
    # One answer per distinct message; the retried event was processed once.
    with Session(db) as session:
        thread_answers = session.exec(
            select(Answer).where(Answer.review_id == review.id, col(Answer.message_ts).is_not(None))
        ).all()
        retries = session.exec(
            select(ProcessedEvent).where(ProcessedEvent.event_id == "Ev0RETRIED")
        ).all()
        nudges = session.exec(select(Nudge).where(Nudge.action_id == action.id)).all()
    stamps = [answer.message_ts for answer in thread_answers]
    assert len(stamps) == len(set(stamps)) == len(REPLIES) + 1
    assert message["ts"] in stamps
    assert len(retries) == 1
    # Each nudge sent at most once, each sent one with its own Slack message, and exactly as
    # many DMs as nudges sent (the escalation DMs the facilitator and posts in the thread).
    sent = [n for n in nudges if n.status == "sent"]
    assert {n.status for n in nudges} <= {"sent", "superseded"}
    assert len({(n.channel_id, n.slack_ts) for n in sent}) == len(sent)
    assert {n.kind for n in nudges} == {"reminder", "due", "overdue", "escalation"}
    assert "escalation" in {n.kind for n in sent}
    posts = [c for c in standin.calls[calls_before:] if c.method == "chat.postMessage"]
    to_owner = [c for c in posts if c.args["channel"] == "D" + OWNER[1:]]
    to_facilitator = [c for c in posts if c.args["channel"] == "D" + FACILITATOR[1:]]
    in_thread = [c for c in posts if c.args.get("thread_ts") == review.thread_ts]
    seen = [(c.args["channel"], c.args.get("text")) for c in posts]
    counts = (len(to_owner), len(to_facilitator), len(in_thread))
    assert counts == (len(sent) - 1, 1, 1), seen
    assert len(posts) == len(sent) + 1, seen
    # Both schedulers really ran; neither lost a claim nor logged an error.
    for replica in replicas:
        assert replica.sweeps() >= 2
        assert "lost its claim" not in replica.output()
        assert "Traceback" not in replica.output(), replica.output()
    standin.assert_clean()


def _settle(standin: SlackStandIn) -> None:
    """Wait until the replicas have made no Web API call for half a second."""
    seen, quiet_since = len(standin.calls), time.monotonic()
    while time.monotonic() - quiet_since < 0.5:
        time.sleep(0.05)
        if len(standin.calls) != seen:
            seen, quiet_since = len(standin.calls), time.monotonic()
