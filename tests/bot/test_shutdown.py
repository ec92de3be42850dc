"""SIGTERM on `aarbot run --http`: work handed on after the ack still finishes, exit code 0."""

from __future__ import annotations

import json
import signal
import threading
import time
from datetime import UTC
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session, select
from waitress import create_server

from bot.blocks.modals import metadata
from bot.graceful import Drain
from bot.ids import View
from bot.server import _draining
from bot.standin import SlackStandIn, payloads, sign_request
from storage.db import make_engine
from storage.models import Review
from tests.bot.processes import post, run_http, wait_healthy
from tests.bot.reviewing import start_values
from tests.conftest import SIGNING_SECRET


def test_sigterm_lets_the_review_being_posted_finish_and_exits_0(
    tmp_path: Path, standin: SlackStandIn, run_database_url: str
) -> None:
    process, base = run_http(
        tmp_path,
        standin.base_url,
        run_database_url,
        SIGNING_SECRET,
        AARBOT_LOG_FORMAT="json",
        AARBOT_LOG_LEVEL="DEBUG",
    )
    try:
        wait_healthy(base, process)
        standin.delay("chat.postMessage", 1.5)  # Slack is slow to take the review message
        body = payloads.view_submission(
            user_id="U0ALICE",
            callback_id=View.START,
            values=start_values(title="Deploy froze the queue"),
            private_metadata=metadata(channel="C0GENERAL"),
        )
        status, answer = post(f"{base}/slack/events", body, sign_request(body, SIGNING_SECRET))
        assert (status, answer) == (200, "")  # the ack, before the slow post
        deadline = time.monotonic() + 10
        while not standin.calls_to("conversations.info") and time.monotonic() < deadline:
            time.sleep(0.02)  # the worker has started on the post
        assert not standin.calls_to("chat.postMessage")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    logged = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(entry.get("request_id") for entry in logged)
    assert logged[-1]["message"] == "stopped"
    posted = [m for m in standin.messages("C0GENERAL") if "Deploy froze the queue" in m["text"]]
    assert posted, "the review was not posted before the process exited"
    engine = make_engine(run_database_url)
    try:
        with Session(engine) as session:
            review = session.exec(select(Review)).one()
            assert review.message_ts == posted[0]["ts"]
    finally:
        engine.dispose()


def test_no_scheduled_job_starts_once_draining_begins() -> None:
    connections: dict[int, object] = {}
    server = create_server(lambda e, s: [], map=connections, host="127.0.0.1", port=0, threads=1)
    jobs = BackgroundScheduler(timezone=UTC)
    jobs.add_job(lambda: None, IntervalTrigger(hours=1), id="sweep")
    jobs.start()
    drain = Drain(connections, timeout=10)
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    try:
        _draining(drain, jobs)(signal.SIGTERM, None)
        assert jobs.state == STATE_PAUSED
        assert drain.started
        runner.join(5)
        assert not runner.is_alive()
    finally:
        drain.close()
        server.task_dispatcher.shutdown()
        jobs.shutdown()


def test_a_second_sigterm_while_work_finishes_stops_at_once_without_a_traceback(
    tmp_path: Path, standin: SlackStandIn, run_database_url: str
) -> None:
    process, base = run_http(tmp_path, standin.base_url, run_database_url, SIGNING_SECRET)
    try:
        wait_healthy(base, process)
        standin.delay("chat.postMessage", 5)  # the worker is still posting after the drain
        body = payloads.view_submission(
            user_id="U0ALICE",
            callback_id=View.START,
            values=start_values(title="Deploy froze the queue"),
            private_metadata=metadata(channel="C0GENERAL"),
        )
        status, _ = post(f"{base}/slack/events", body, sign_request(body, SIGNING_SECRET))
        assert status == 200
        deadline = time.monotonic() + 10
        while not standin.calls_to("conversations.info") and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        time.sleep(1.5)  # the idle server has drained; the process waits for the worker
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -signal.SIGTERM, err
    assert "Traceback" not in err
