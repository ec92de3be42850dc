"""Outbox workers: threads that claim jobs from the database and run them.

`aarbot run` starts AARBOT_JOB_THREADS of them in each server process; `aarbot worker` runs
them alone, beside web processes started with `aarbot run --no-workers`. A request that wrote
a job wakes this process's workers at once; jobs written by other processes are found by
polling every AARBOT_OUTBOX_POLL_MS. Stopping lets each running job finish; the others stay in
the table for the next start, or for another process's workers.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from bot.jobs.runner import run
from bot.runtime.deps import Deps
from storage import outbox, turns
from storage.db import session_scope
from storage.types import utcnow

log = logging.getLogger("aarbot.jobs")

_WAKE = threading.Condition()
_generation = [0]
# A worker about to claim a job first waits up to this long for the acks in flight here.
YIELD_SECONDS = 0.02
# Added to the niceness of each worker thread: under load the CPU goes to the acks first.
NICENESS = 5


class _InFlight:
    """How many of Slack's requests this process is answering right now (bot/runtime/web.py)."""

    def __init__(self) -> None:
        self._count = 0
        self._jobs = 0
        self._quiet = threading.Condition()

    def __enter__(self) -> None:
        with self._quiet:
            self._count += 1

    def __exit__(self, *_exc: object) -> None:
        with self._quiet:
            self._count -= 1
            if not self._count:
                self._quiet.notify_all()

    def wait_quiet(self, timeout: float) -> None:
        """Wait until no request is in flight, or `timeout` seconds."""
        with self._quiet:
            if self._count:
                self._quiet.wait_for(lambda: not self._count, timeout)

    @contextmanager
    def job_slot(self) -> Iterator[None]:
        """While requests are in flight, one job at a time: the acks share the interpreter
        with one job, not with every worker thread."""
        with self._quiet:
            self._quiet.wait_for(lambda: not self._count or not self._jobs)
            self._jobs += 1
        try:
            yield
        finally:
            with self._quiet:
                self._jobs -= 1
                self._quiet.notify_all()


IN_FLIGHT = _InFlight()


def wake() -> None:
    """Tell this process's workers that a job was just committed."""
    with _WAKE:
        _generation[0] += 1
        _WAKE.notify_all()


def _host() -> str:
    return socket.gethostname()[:30].replace(":", "-")


def worker_id() -> str:
    """A claim owner unique to this thread of this process: host, pid and a random part."""
    return f"{_host()}:{os.getpid()}:{secrets.token_hex(3)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_here(deps: Deps) -> int:
    """Free the jobs of this machine's processes that died mid-job (a crash, a kill -9)."""
    with session_scope(deps.engine) as session:
        freed = outbox.release_dead(session, host=_host(), alive=_alive)
    if freed:
        log.warning("%d job(s) of a process that died here run again now", freed)
    return freed


def _lower_priority() -> None:
    # Linux gives each thread its own niceness; elsewhere this does nothing.
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICENESS)
    except (AttributeError, OSError):
        pass


def run_one(
    deps: Deps,
    owner: str,
    *,
    now: datetime | None = None,
    running: dict[int, str] | None = None,
) -> bool:
    """Claim one ready job (ready at `now`, default now) and run it; False if there was none.

    While it runs, it is in `running` (job id -> owner), whose leases a heartbeat renews.
    """
    lease = timedelta(seconds=deps.settings.job_lease_seconds)
    with session_scope(deps.engine) as session:
        jobs = outbox.claim(session, owner=owner, lease=lease, limit=1, now=now)
    if not jobs:
        return False
    job_id = jobs[0].id or 0
    if running is not None:
        running[job_id] = owner
    try:
        run(deps, jobs[0], owner=owner)
    finally:
        if running is not None:
            running.pop(job_id, None)
    return True


def drain(deps: Deps, *, limit: int = 10_000, now: datetime | None = None) -> int:
    """Run ready jobs in this thread until none is left; how many ran (tests, the demo).

    `now` runs the jobs that will be ready then, such as retries waiting out their backoff.
    """
    owner = worker_id()
    count = 0
    while count < limit and run_one(deps, owner, now=now):
        count += 1
    return count


class OutboxWorkers:
    """`threads` workers in this process, until `stop()`."""

    def __init__(self, deps: Deps, threads: int | None = None) -> None:
        self.deps = deps
        self.count = deps.settings.job_threads if threads is None else threads
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[int, str] = {}

    def start(self) -> OutboxWorkers:
        """Start the threads, after freeing what dead processes of this machine held."""
        if self.count:
            release_dead_here(self.deps)
        for n in range(self.count):
            thread = threading.Thread(target=self._loop, name=f"aarbot-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.count:
            beat = threading.Thread(target=self._heartbeat, name="aarbot-job-lease", daemon=True)
            beat.start()
            self._threads.append(beat)
            log.info("%d outbox worker thread(s) started", self.count)
        return self

    def stop(self, timeout: float = 25.0) -> None:
        """Finish the running jobs and stop; the jobs not started stay in the table."""
        self._stopping.set()
        wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self) -> None:
        owner = worker_id()
        poll = self.deps.settings.outbox_poll_ms / 1000
        _lower_priority()
        turns.background()  # on SQLite, requests get the write lock before this thread
        while not self._stopping.is_set():
            with _WAKE:
                seen = _generation[0]
            IN_FLIGHT.wait_quiet(YIELD_SECONDS)  # an ack waiting for the CPU goes first
            try:
                with IN_FLIGHT.job_slot():
                    ran = run_one(self.deps, owner, running=self._running)
                if ran:
                    continue
            except Exception:
                log.exception("the outbox worker could not claim a job")
                self._stopping.wait(1.0)
                continue
            with _WAKE:
                if _generation[0] == seen and not self._stopping.is_set():
                    _WAKE.wait(poll)

    def _heartbeat(self) -> None:
        """Renew the leases of the jobs running here, so a slow one is not run twice."""
        lease = self.deps.settings.job_lease_seconds
        while not self._stopping.wait(lease / 3):
            held = dict(self._running)
            if not held:
                continue
            try:
                with session_scope(self.deps.engine) as session:
                    outbox.renew(session, held, until=utcnow() + timedelta(seconds=lease))
            except Exception:
                log.exception("the leases of the running jobs could not be renewed")
