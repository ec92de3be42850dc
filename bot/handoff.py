"""Where the work after an ack runs: this process's worker pool, or a worker process.

A listener answers Slack from the HTTP thread, then hands on a job: the request's payload,
its request id, and what is left to do (see bot/listeners/session.py). A job is plain JSON,
so it can cross to another process. Whoever runs it replays the payload through the same
Bolt app, which finds the same listener; the listener sees the job on its context and does
the rest of its work instead of answering again.

- `InThreads` runs jobs in a pool of AARBOT_WORKERS threads of this process: tests, the demo,
  and the worker process itself.
- `InWorkerProcess` writes jobs to a child process (`python -m bot.worker`) that runs them in
  its own pool, at a lower CPU priority. `aarbot run` uses it, so the work after earlier acks
  never holds the interpreter while an ack waits (bench/ack.py).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt import BoltRequest

if TYPE_CHECKING:
    from slack_bolt import App

Job = dict[str, Any]
# The last line to a worker process when the server stops cleanly: run all you were sent.
# A stdin that closes without it means the server died, and only the jobs running finish.
END: Job = {"end": True}
REPLAY_KEY = "aarbot_replay"
# The headers a replay keeps: how to parse the body, and Slack's retry count and reason.
_KEPT_HEADERS = ("content-type", "x-slack-retry-num", "x-slack-retry-reason")

CHECK_EVERY = 1.0  # seconds between checks that an idle worker process is still there
GATHER = 0.002  # seconds the writer waits after a job, for more to write with it

log = logging.getLogger("aarbot.handoff")


class Handoff(Protocol):
    """Takes jobs from listeners; runs each once, after the ack."""

    def bind(self, app: App) -> None:
        """The app whose listeners the jobs replay through."""

    def send(self, job: Job) -> None:
        """Run `job` soon; never blocks on the work itself."""

    def close(self) -> None:
        """Take no more jobs, and return once every job sent has run."""


def job_for(request: BoltRequest, request_id: str | None, work: list | None) -> Job:
    """The job that finishes `request`: `work` is the listener's `later` list, or None when
    the whole listener runs after the ack."""
    headers = {k: list(request.headers[k]) for k in _KEPT_HEADERS if k in request.headers}
    return {
        # As Slack sent it (parsed again by whoever runs the job), else as Socket Mode gave it.
        "body": request.raw_body or request.body,
        "headers": headers,
        "request_id": request_id,
        "work": work,
    }


def replay(app: App, job: Job) -> None:
    """Run `job` through `app`'s middleware and listener, as the request's second half."""
    # Socket Mode's shape: no signature to check, as it was checked when the request first
    # arrived (a job never comes from the network).
    request = BoltRequest(
        body=job["body"], headers=job["headers"], context={REPLAY_KEY: job}, mode="socket_mode"
    )
    app.dispatch(request)


class InThreads:
    """Runs jobs in this process's worker pool."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self._app: App | None = None

    def bind(self, app: App) -> None:
        self._app = app

    def send(self, job: Job) -> None:
        if self._app is None:
            raise RuntimeError("the handoff has no app to replay jobs through")
        self.executor.submit(replay, self._app, job)

    def close(self, *, finish_queued: bool = True) -> None:
        self.executor.shutdown(wait=True, cancel_futures=not finish_queued)


def _line(job: Job) -> bytes:
    return json.dumps(job, separators=(",", ":")).encode() + b"\n"


class InWorkerProcess:
    """Runs jobs in a child process, started now and again if it dies.

    `send` only queues the job: a thread of ours writes the queue to the child's stdin as
    JSON lines, so an ack never waits on the pipe. `close` writes the rest, then END, and
    waits for the child to finish them all and exit.
    """

    def __init__(self, command: list[str] | None = None) -> None:
        self._command = command or [sys.executable, "-m", "bot.worker"]
        self._jobs: deque[Job] = deque()
        self._wake = threading.Condition()
        self._closing = False
        self._child = self._start()
        self._writer = threading.Thread(target=self._write_jobs, name="aarbot-handoff")
        self._writer.start()

    def bind(self, app: App) -> None:
        pass  # the child builds its own app

    @property
    def pid(self) -> int:
        """The worker process's id."""
        return self._child.pid

    def alive(self) -> bool:
        """Whether the worker process is running (a dead one is restarted on the next job)."""
        return self._child.poll() is None

    def send(self, job: Job) -> None:
        with self._wake:
            if self._closing:
                raise RuntimeError("the worker process is shutting down")
            self._jobs.append(job)
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._writer.join()
        self._write(_line(END), 0)  # everything is written: finish it all, then stop
        self._child.stdin.close()  # type: ignore[union-attr]
        code = self._child.wait()
        if code:
            log.error("the worker process exited with code %s", code)

    def _start(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(self._command, stdin=subprocess.PIPE, env=os.environ.copy())  # noqa: S603 - our own interpreter
        log.info("worker process %s started", child.pid)
        return child

    def _write_jobs(self) -> None:
        while True:
            with self._wake:
                while not self._jobs and not self._closing:
                    if not self._wake.wait(timeout=CHECK_EVERY):
                        self._restart_if_dead()
                if not self._jobs:
                    return  # closing, and everything sent is written
            # Let a burst gather: one write (and one wake-up of this thread) for many jobs.
            time.sleep(GATHER)
            with self._wake:
                batch = list(self._jobs)
                self._jobs.clear()
            self._write(b"".join(_line(job) for job in batch), len(batch))

    def _restart_if_dead(self) -> None:
        code = self._child.poll()
        if code is not None:
            # Jobs it had read but not finished are lost with it, as they would be with this
            # whole process; the next ones go to its successor.
            log.error("the worker process stopped (exit code %s); starting another", code)
            self._child = self._start()

    def _write(self, lines: bytes, count: int) -> None:
        for _attempt in range(3):
            try:
                self._child.stdin.write(lines)  # type: ignore[union-attr]
                self._child.stdin.flush()  # type: ignore[union-attr]
                return
            except (OSError, ValueError):
                self._child.wait()
                self._restart_if_dead()
        log.error("%d job(s) could not reach a worker process and were dropped", count)
