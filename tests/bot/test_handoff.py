"""The work after the ack as a job: plain JSON, replayed by another app or another process."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from sqlmodel import Session, select

from bot.app import build_app
from bot.deps import Deps
from bot.handoff import InThreads, Job, replay
from bot.listeners.commands.aar import show_list
from bot.listeners.session import Later
from bot.standin import SlackStandIn, payloads, sign_request
from bot.standin.driver import Bot, TrackingExecutor
from bot.web import make_wsgi_app
from bot.worker import NICENESS
from storage.models import Answer
from tests.bot.processes import post, run_http, wait_healthy
from tests.bot.reviewing import start, start_values
from tests.conftest import SIGNING_SECRET


class Kept:
    """A handoff that keeps its jobs, as the pipe to a worker process would carry them."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def bind(self, app: Any) -> None:
        pass

    def send(self, job: Job) -> None:
        self.jobs.append(json.loads(json.dumps(job)))

    def close(self) -> None:
        pass


def test_later_takes_only_module_level_functions_and_json_arguments() -> None:
    later = Later()
    with pytest.raises(TypeError, match="module-level"):
        later(lambda session: None)

    def nested(session: Session) -> None:
        pass

    with pytest.raises(TypeError, match="module-level"):
        later(nested)
    with pytest.raises(TypeError):
        later(show_list, team_id="T1", channel_id={"not", "json"})
    later(show_list, team_id="T1", channel_id="C1")
    assert later.work == [
        ["bot.listeners.commands.aar:show_list", {"team_id": "T1", "channel_id": "C1"}]
    ]


class Split:
    """The app split as `aarbot run` splits it: a front that acks, a worker built apart."""

    def __init__(self, deps: Deps, standin: SlackStandIn) -> None:
        self.kept = Kept()
        self.front = Bot(deps=deps, standin=standin, secret=SIGNING_SECRET)
        self.front.app = build_app(deps, handoff=self.kept)
        self.front.wsgi = make_wsgi_app(
            bolt_app=self.front.app,
            engine=deps.engine,
            signing_secret=deps.settings.slack_signing_secret,
        )
        self.pool = TrackingExecutor()
        worker_deps = Deps.from_settings(deps.settings, deps.engine)
        self.worker = build_app(worker_deps, handoff=InThreads(self.pool))

    def finish(self) -> int:
        """Replay the jobs the front handed on, as the worker process would; how many."""
        jobs, self.kept.jobs = self.kept.jobs, []
        for job in jobs:
            replay(self.worker, job)
        self.pool.wait_idle()
        return len(jobs)


def test_a_job_carries_everything_another_app_needs_to_finish_the_request(
    deps: Deps, standin: SlackStandIn
) -> None:
    split = Split(deps, standin)
    split.front.command("Deploy froze the queue")
    assert not standin.calls_to("views.open")  # acked; the modal opens from the job
    assert split.finish() == 1
    assert standin.calls_to("views.open")

    response = split.front.submit(split.front.last_view(), start_values(title="Deploy froze"))
    assert response.status == 200
    assert not standin.messages("C0GENERAL")  # stored and acked; posting is the job's
    [job] = split.kept.jobs
    assert job["request_id"]
    assert job["work"] == [["bot.listeners.views.start:post_review", ANY]]
    split.finish()
    posted = [m for m in standin.messages("C0GENERAL") if "Deploy froze" in m["text"]]
    assert len(posted) == 1


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(child) for child in task.read_text().split())
    return found


def _wait_for(condition, what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"{what} within {timeout:.0f} s")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_run_does_the_work_after_the_ack_in_a_lower_priority_worker_process_it_restarts(
    tmp_path: Path, standin: SlackStandIn, run_database_url: str
) -> None:
    process, base = run_http(tmp_path, standin.base_url, run_database_url, SIGNING_SECRET)

    def list_reviews(label: str) -> None:
        body = payloads.slash_command(
            text="list",
            user_id="U0ALICE",
            channel_id="C0GENERAL",
            response_url=standin.response_url(label),
        )
        assert post(f"{base}/slack/events", body, sign_request(body, SIGNING_SECRET)) == (200, "")
        _wait_for(
            lambda: [r for r in standin.responses if r["name"] == label],
            f"no answer to /aar list ({label})",
        )

    try:
        wait_healthy(base, process)
        [worker] = _wait_for(lambda: _children(process.pid), "no worker process started")
        assert b"bot.worker" in Path(f"/proc/{worker}/cmdline").read_bytes()
        lower = min(19, os.getpriority(os.PRIO_PROCESS, process.pid) + NICENESS)
        _wait_for(
            lambda: os.getpriority(os.PRIO_PROCESS, worker) == lower,
            "the worker process did not lower its priority",
        )
        list_reviews("first")

        os.kill(worker, signal.SIGKILL)
        [again] = _wait_for(
            lambda: [p for p in _children(process.pid) if p != worker], "no new worker process"
        )
        assert again != worker
        list_reviews("second")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "the worker process stopped (exit code -9); starting another" in err
    assert "Traceback" not in err


def test_a_thread_reply_is_stored_by_the_worker_not_the_front(
    deps: Deps, standin: SlackStandIn, session: Session
) -> None:
    root = start(Bot(deps=deps, standin=standin, secret=SIGNING_SECRET), "Deploy froze")
    split = Split(deps, standin)
    split.front.reply(
        "We expected a calm deploy", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    assert not session.exec(select(Answer)).all()  # acked; nothing stored yet
    assert split.finish() == 1
    session.rollback()  # a fresh read, after the worker's commit
    answers = session.exec(select(Answer)).all()
    assert [a.text for a in answers] == ["We expected a calm deploy"]
