"""`aarbot run`: HTTP mode on waitress (a production WSGI server) or Socket Mode."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.deps import Deps
from bot.handoff import Handoff
from bot.scheduler import build_scheduler
from bot.settings import Settings
from bot.web import make_wsgi_app

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from bot.graceful import Drain

ACK_SWITCH_INTERVAL = 0.001  # seconds

log = logging.getLogger("aarbot.server")


def worker_process(settings: Settings) -> Handoff | None:
    """The worker process for the work after each ack (bot/worker.py), or None to keep it in
    this process: a database in this process's memory cannot be shared."""
    url = settings.database_url
    if url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") == "sqlite:"):
        log.warning("the database is in memory, so the work after each ack stays in-process")
        return None
    from bot.handoff import InWorkerProcess

    return InWorkerProcess()


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    # Waitress and the Socket Mode loop both treat SystemExit as "shut down cleanly".
    raise SystemExit(128 + signum)


def serve(
    *,
    deps: Deps,
    app: App,
    http: bool,
    host: str,
    port: int,
    scheduler: bool,
    ready: threading.Event | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then finish in-flight work and stop the scheduler.

    In-flight requests are answered first (HTTP mode: see bot/graceful.py; no scheduled job
    starts meanwhile), then the worker pool finishes the work they handed it, and the scheduler
    its running job. A second signal once the server has stopped ends the process at once.
    """
    jobs = build_scheduler(deps) if scheduler else None
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGINT, _raise_exit)
    if jobs:
        jobs.start()
        log.info("scheduler started with jobs: %s", ", ".join(j.id for j in jobs.get_jobs()))
    try:
        if http:
            _serve_http(deps=deps, app=app, host=host, port=port, ready=ready, jobs=jobs)
        else:
            _serve_socket_mode(deps=deps, app=app, ready=ready)
    finally:
        if jobs:
            jobs.shutdown(wait=True)
        app.handoff.close()  # type: ignore[attr-defined]
        deps.engine.dispose()
        log.info("stopped")


def _serve_http(
    *,
    deps: Deps,
    app: App,
    host: str,
    port: int,
    ready: threading.Event | None,
    jobs: BaseScheduler | None = None,
) -> None:
    from waitress import create_server

    from bot.graceful import Drain

    # Acks share the interpreter with the work that follows earlier acks: a shorter switch
    # interval than CPython's 5 ms hands the GIL to a waiting ack sooner (bench/ack.py).
    sys.setswitchinterval(ACK_SWITCH_INTERVAL)
    # Everything built so far (the app, its listeners, the imported libraries) lives as long as
    # the process: keep it out of the garbage collector's full passes, which pause every ack.
    gc.freeze()
    connections: dict[int, object] = {}
    server = create_server(
        make_wsgi_app(
            bolt_app=app, engine=deps.engine, signing_secret=deps.settings.slack_signing_secret
        ),
        map=connections,
        host=host,
        port=port,
        threads=deps.settings.workers,
        ident="aarbot",
        # Slack waits 3 s for an ack; requests beyond the backlog should fail fast, not queue.
        backlog=256,
        channel_timeout=30,
    )
    routes = "POST /slack/events, /healthz, /readyz"
    if app.oauth_flow is not None:
        routes += f", {app.oauth_flow.install_path}, {app.oauth_flow.redirect_uri_path}"
    log.info("listening on http://%s:%s (%s)", host, port, routes)
    print(f"aarbot listening on http://{host}:{server.effective_port}", flush=True)  # noqa: T201
    # SIGTERM or SIGINT: stop taking connections, answer the requests in flight, then return.
    drain = Drain(connections)
    stop = _draining(drain, jobs)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if ready is not None:
        ready.set()
    try:
        server.run()
    finally:
        # Nothing is left to drain: a second signal now stops the process, not the drain.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        drain.close()
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=10)


def _draining(drain: Drain, jobs: BaseScheduler | None) -> Callable[..., None]:
    """The SIGTERM/SIGINT handler while serving HTTP: no new scheduled jobs, then drain."""

    def begin(*signal_args: object) -> None:
        if jobs is not None and jobs.running:
            jobs.pause()  # a job already running finishes; shutdown waits for it
        drain.begin(*signal_args)

    return begin


def _serve_socket_mode(*, deps: Deps, app: App, ready: threading.Event | None) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, deps.settings.slack_app_token)
    print("aarbot connected to Slack over Socket Mode", flush=True)  # noqa: T201
    if ready is not None:
        ready.set()
    try:
        handler.start()
    except SystemExit:
        log.info("shutting down Socket Mode")
    finally:
        handler.close()
