"""The outbox: jobs survive a dead worker, run in order per lane, retry, fail visibly, post once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.jobs import workers as workers_module
from bot.jobs.runner import TryLater
from bot.jobs.workers import OutboxWorkers, drain, run_one
from bot.runtime.deps import Deps
from bot.standin import SlackStandIn
from storage import outbox
from storage.db import session_scope
from storage.models import Job, JobStatus
from storage.types import utcnow

CALLS: list[str] = []
STARTED = threading.Event()
RELEASE = threading.Event()


def record(*, word: str) -> None:
    CALLS.append(word)


def flaky(*, session: Session, word: str) -> None:
    CALLS.append(word)
    if CALLS.count(word) < 3:
        raise TryLater(0, "not yet")


def broken(*, word: str) -> None:
    raise ValueError(f"cannot do {word}")


def post_then_fail(*, client: WebClient, word: str) -> None:
    """Posts twice, then fails the first time: a retry must not post again."""
    client.chat_postMessage(channel="C0GENERAL", text=f"{word} one")
    client.chat_postMessage(channel="C0GENERAL", text=f"{word} two")
    CALLS.append(word)
    if CALLS.count(word) == 1:
        raise TryLater(0, "the worker died here")


def slow(*, word: str) -> None:
    STARTED.set()
    RELEASE.wait(10)
    CALLS.append(word)


def _add(deps: Deps, fn: str, lane: str | None = None, **args: Any) -> None:
    with session_scope(deps.engine) as session:
        outbox.enqueue(
            session,
            name=fn,
            payload={"fn": f"tests.bot.test_outbox:{fn}", "args": args, "body": {}, "who": {}},
            lane=lane,
        )


def _jobs(deps: Deps) -> list[Job]:
    with Session(deps.engine) as session:
        return list(session.exec(select(Job).order_by(Job.id)))


def setup_function() -> None:
    CALLS.clear()
    STARTED.clear()
    RELEASE.clear()


def test_only_aarbots_own_functions_run(deps: Deps) -> None:
    # A job names a function under bot/ only; these tests' functions are refused, and kept.
    _add(deps, "record", word="x")
    drain(deps)
    (job,) = _jobs(deps)
    assert job.status == JobStatus.FAILED
    assert "not aarbot's work" in (job.last_error or "")
    assert CALLS == []


def _allow_tests(monkeypatch) -> None:
    from bot.jobs import runner

    real = runner.resolve.__wrapped__

    def resolve(name: str):
        if name.startswith("tests.bot.test_outbox:"):
            return globals()[name.partition(":")[2]]
        return real(name)

    monkeypatch.setattr(runner, "resolve", resolve)


def test_a_job_is_done_once_and_deleted(deps: Deps, monkeypatch) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "record", word="a")
    assert drain(deps) == 1
    assert CALLS == ["a"]
    assert _jobs(deps) == []


def test_a_passing_trouble_is_retried_until_it_works(deps: Deps, monkeypatch) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "flaky", word="f")
    drain(deps)
    assert CALLS == ["f", "f", "f"]
    assert _jobs(deps) == []


def test_a_job_that_cannot_work_is_kept_as_failed_and_can_be_retried(
    deps: Deps, monkeypatch
) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "broken", word="b")
    drain(deps)
    (job,) = _jobs(deps)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert "cannot do b" in (job.last_error or "")
    with session_scope(deps.engine) as session:
        report = outbox.report(session)
        assert (report.failed, report.pending) == (1, 0)
        assert outbox.retry_failed(session) == 1
    assert _jobs(deps)[0].status == JobStatus.PENDING


def test_a_job_whose_worker_died_runs_again_once_its_lease_ends(deps: Deps, monkeypatch) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "record", word="r")
    with session_scope(deps.engine) as session:  # a worker claims it, then dies
        (claimed,) = outbox.claim(session, owner="dead", lease=timedelta(seconds=30))
    assert not run_one(deps, "alive")  # its lease still holds
    with session_scope(deps.engine) as session:
        later = utcnow() + timedelta(seconds=31)
        (again,) = outbox.claim(session, owner="alive", lease=timedelta(seconds=30), now=later)
    assert again.id == claimed.id
    assert again.attempts == 2
    # The dead worker cannot finish what it no longer holds.
    with session_scope(deps.engine) as session:
        assert not outbox.finish(session, job_id=claimed.id, owner="dead")
        assert outbox.finish(session, job_id=claimed.id, owner="alive")


def test_jobs_of_one_lane_run_one_at_a_time_in_order(deps: Deps, monkeypatch) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "record", lane="C1:1.0", word="first")
    _add(deps, "record", lane="C1:1.0", word="second")
    _add(deps, "record", lane="C2:2.0", word="other")
    with session_scope(deps.engine) as session:
        taken = outbox.claim(session, owner="w1", lease=timedelta(seconds=30), limit=10)
    assert [json.loads(j.payload)["args"]["word"] for j in taken] == ["first", "other"]
    with session_scope(deps.engine) as session:  # "second" waits while "first" runs
        assert outbox.claim(session, owner="w2", lease=timedelta(seconds=30)) == []
        outbox.finish(session, job_id=taken[0].id, owner="w1")
    with session_scope(deps.engine) as session:
        (second,) = outbox.claim(session, owner="w2", lease=timedelta(seconds=30))
    assert json.loads(second.payload)["args"]["word"] == "second"


def test_a_retried_job_does_not_post_again(deps: Deps, standin: SlackStandIn, monkeypatch) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "post_then_fail", word="hello")
    drain(deps)
    assert CALLS == ["hello", "hello"]
    texts = [m["text"] for m in standin.messages("C0GENERAL")]
    assert texts.count("hello one") == 1
    assert texts.count("hello two") == 1


def test_a_post_whose_record_was_lost_is_found_by_its_metadata(
    deps: Deps, standin: SlackStandIn, monkeypatch
) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "post_then_fail", word="lost")
    (job,) = _jobs(deps)
    with session_scope(deps.engine) as session:
        (claimed,) = outbox.claim(session, owner="w", lease=timedelta(seconds=30))
    from bot.jobs import runner

    runner.run(deps, claimed, owner="w")  # posts twice, then fails
    with session_scope(deps.engine) as session:  # as if it died before recording its posts
        row = session.get(Job, job.id)
        row.posts = "{}"
        session.add(row)
    drain(deps)
    texts = [m["text"] for m in standin.messages("C0GENERAL")]
    assert texts.count("lost one") == 1
    assert texts.count("lost two") == 1
    posted = [m for m in standin.messages("C0GENERAL") if m["text"] == "lost one"]
    assert posted[0]["metadata"]["event_payload"] == {"job": job.id, "post": "1"}


def test_stopping_finishes_the_running_job_and_leaves_the_rest(deps: Deps, monkeypatch) -> None:
    _allow_tests(monkeypatch)
    _add(deps, "slow", lane="L", word="running")
    _add(deps, "record", lane="L", word="waiting")
    workers = OutboxWorkers(deps, threads=1).start()
    assert STARTED.wait(10)
    stopper = threading.Thread(target=workers.stop)
    stopper.start()
    time.sleep(0.2)
    RELEASE.set()
    stopper.join(10)
    assert CALLS == ["running"]
    (left,) = _jobs(deps)
    assert json.loads(left.payload)["args"]["word"] == "waiting"
    assert left.status == JobStatus.PENDING


def test_a_restart_on_the_same_machine_frees_what_a_dead_process_held(
    deps: Deps, monkeypatch
) -> None:
    _allow_tests(monkeypatch)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _add(deps, "record", word="held")
    _add(deps, "record", word="elsewhere")
    with session_scope(deps.engine) as session:
        lease = timedelta(seconds=60)
        outbox.claim(session, owner=f"{workers_module._host()}:{gone.pid}:dead", lease=lease)
        outbox.claim(session, owner="another-host:1:x", lease=lease)
    assert workers_module.release_dead_here(deps) == 1
    drain(deps)
    assert CALLS == ["held"]  # the other machine's claim still holds until its lease ends
