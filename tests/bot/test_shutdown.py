"""SIGTERM on `aarbot run --http`: the job running after an ack still finishes, exit code 0."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from sqlmodel import Session, select

from bot.slack.blocks.modals import metadata
from bot.slack.ids import View
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
    assert "Traceback" not in err, err[err.find("Traceback") - 300 :][:3000]
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
