"""`aarbot run --no-workers` beside `aarbot worker`: web and workers scaled apart, one database."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from sqlmodel import Session, select

from bot.slack.blocks.modals import metadata
from bot.slack.ids import View
from bot.standin import SlackStandIn, payloads, sign_request
from storage.db import make_engine
from storage.models import Job, Review
from tests.bot.processes import aarbot, clean_env, free_port, post, wait_healthy
from tests.bot.reviewing import start_values
from tests.conftest import SIGNING_SECRET


def _jobs(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return len(session.exec(select(Job)).all())
    finally:
        engine.dispose()


def test_a_web_process_without_workers_leaves_the_work_to_aarbot_worker(
    tmp_path: Path, standin: SlackStandIn, run_database_url: str
) -> None:
    port = str(free_port())
    base = f"http://127.0.0.1:{port}"
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.base_url,
        DATABASE_URL=run_database_url,
        AARBOT_OUTBOX_POLL_MS="50",
    )
    web = aarbot("run", "--http", "--port", port, "--no-workers", env=env, cwd=tmp_path)
    worker = None
    try:
        wait_healthy(base, web)
        body = payloads.view_submission(
            user_id="U0ALICE",
            callback_id=View.START,
            values=start_values(title="Deploy froze the queue"),
            private_metadata=metadata(channel="C0GENERAL"),
        )
        status, _ = post(f"{base}/slack/events", body, sign_request(body, SIGNING_SECRET))
        assert status == 200
        time.sleep(1.0)
        # Stored and acknowledged; nobody has posted it, as no process here runs jobs.
        assert _jobs(run_database_url) == 1
        assert not [m for m in standin.messages("C0GENERAL") if "Deploy froze" in m["text"]]

        worker = aarbot("worker", env=env, cwd=tmp_path)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _jobs(run_database_url):
            time.sleep(0.05)
        assert _jobs(run_database_url) == 0
        posted = [m for m in standin.messages("C0GENERAL") if "Deploy froze" in m["text"]]
        assert len(posted) == 1
        engine = make_engine(run_database_url)
        try:
            with Session(engine) as session:
                assert session.exec(select(Review)).one().message_ts == posted[0]["ts"]
        finally:
            engine.dispose()
    finally:
        for process in (web, worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        web.communicate(timeout=30)
        if worker is not None:
            _, err = worker.communicate(timeout=30)
            assert worker.returncode == 0, err
            assert "Traceback" not in err
