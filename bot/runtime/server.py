"""`aarbot run`: HTTP on gunicorn (gthread workers), or Socket Mode; `aarbot worker`.

HTTP: gunicorn's master starts AARBOT_WEB_PROCESSES worker processes, each with AARBOT_WORKERS
HTTP threads for the acks, the app built in that process, AARBOT_JOB_THREADS outbox worker
threads (unless `--no-workers`) and the scheduler (unless `--no-scheduler`). On SIGTERM or
SIGINT gunicorn stops taking connections and answers the requests in flight (its graceful
timeout), then each process lets its running jobs finish and leaves the others in the outbox.

Everything here uses gunicorn's public application API (BaseApplication, its settings and
server hooks), nothing of its internals.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.jobs.scheduler import build_scheduler
from bot.jobs.workers import OutboxWorkers
from bot.runtime.deps import Deps
from bot.runtime.settings import Settings

ACK_SWITCH_INTERVAL = 0.001  # seconds
# Within Kubernetes' default 30 s grace period, leaving time for the running jobs.
GRACEFUL_SECONDS = 20

log = logging.getLogger("aarbot.server")


@dataclass
class _Running:
    """What one server process runs beside its HTTP threads, stopped in that order."""

    workers: OutboxWorkers | None = None
    scheduler: Any = None
    stopped: bool = field(default=False)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        if self.workers is not None:
            self.workers.stop()


def start_background(deps: Deps, *, workers: bool, scheduler: bool) -> _Running:
    """Start the outbox workers and the scheduler of this process."""
    running = _Running()
    if workers:
        running.workers = OutboxWorkers(deps, max(1, deps.settings.job_threads)).start()
    if scheduler:
        running.scheduler = build_scheduler(deps)
        running.scheduler.start()
        names = ", ".join(j.id for j in running.scheduler.get_jobs())
        log.info("scheduler started with jobs: %s", names)
    return running


class _Gunicorn(BaseApplication):
    def __init__(self, build: Callable[[], Any], options: dict[str, Any]) -> None:
        self._build, self._options = build, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._build()


def serve_http(
    *,
    settings: Settings,
    build: Callable[[], tuple[Any, Deps]],
    host: str,
    port: int,
    workers: bool,
    scheduler: bool,
) -> None:
    """Serve Slack's requests with gunicorn until SIGTERM or SIGINT."""
    running: dict[str, _Running] = {}
    built: dict[str, Deps] = {}

    def load() -> Any:
        wsgi, deps = build()
        built["deps"] = deps
        return wsgi

    def post_worker_init(_worker: Any) -> None:
        # Acks share the interpreter with the jobs: a shorter switch interval than CPython's
        # 5 ms hands the GIL to a waiting ack sooner (bench/ack.py).
        sys.setswitchinterval(ACK_SWITCH_INTERVAL)
        deps = built["deps"]
        running["now"] = start_background(deps, workers=workers, scheduler=scheduler)
        # What is built by now lives as long as the process: out of the collector's passes.
        gc.freeze()

    def worker_exit(_server: Any, _worker: Any) -> None:
        if "now" in running:
            running["now"].stop()
        if "deps" in built:
            built["deps"].engine.dispose()
        log.info("stopped")

    def when_ready(_server: Any) -> None:
        print(f"aarbot listening on http://{host}:{port}", flush=True)  # noqa: T201

    options = {
        "bind": f"{host}:{port}",
        "workers": settings.web_processes,
        "worker_class": "gthread",
        "threads": settings.workers,
        # Slack waits 3 s for an ack; requests beyond the backlog should fail fast, not queue.
        "backlog": 256,
        "timeout": 60,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": 30,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "aarbot",
        "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
        "when_ready": when_ready,
    }
    log.info("listening on http://%s:%s (POST /slack/events, /healthz, /readyz)", host, port)
    _Gunicorn(load, options).run()


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def serve_socket_mode(*, deps: Deps, app: Any, workers: bool, scheduler: bool) -> None:
    """Socket Mode: the same app and outbox workers, over Slack's WebSocket."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGINT, _raise_exit)
    running = start_background(deps, workers=workers, scheduler=scheduler)
    handler = SocketModeHandler(app, deps.settings.slack_app_token)
    print("aarbot connected to Slack over Socket Mode", flush=True)  # noqa: T201
    try:
        handler.start()
    except SystemExit:
        log.info("shutting down Socket Mode")
    finally:
        handler.close()
        running.stop()
        deps.engine.dispose()


def serve_workers(*, deps: Deps, scheduler: bool, ready: threading.Event | None = None) -> None:
    """`aarbot worker`: only the outbox workers (and the scheduler, if asked), until a signal."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    running = start_background(deps, workers=True, scheduler=scheduler)
    print(f"aarbot worker running {running.workers.count} job threads", flush=True)  # type: ignore[union-attr]  # noqa: T201
    if ready is not None:
        ready.set()
    stop.wait()
    running.stop()
    deps.engine.dispose()
    log.info("worker stopped")
