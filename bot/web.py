"""The WSGI application: Slack's requests on /slack/events, liveness and readiness probes.

In multi-workspace mode it also serves the install page (GET /slack/install) and Slack's
redirect back after an install (GET /slack/oauth_redirect), both handled by Bolt's OAuth flow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from storage.db import current_revision, head_revision, ping

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"


def make_wsgi_app(*, bolt_app: App, engine: Engine) -> WsgiApp:
    """Route Slack's POSTs (and the install routes) to Bolt; answer /healthz and /readyz."""
    slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
    flow = bolt_app.oauth_flow
    install_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = "POST" if path == EVENTS_PATH else "GET" if path in install_paths else None
        if method is not None:
            if environ.get("REQUEST_METHOD") != method:
                return _json(start_response, 405, {"error": f"{method} only"})
            return slack(environ, start_response)
        if path == "/healthz":
            # Liveness: answering at all is the proof, so always 200 (a database outage must
            # not get the process restarted); the body still says how the database is doing.
            problem = ping(engine)
            database = {"ok": problem is None, "backend": engine.dialect.name}
            if problem:
                database["error"] = problem
            return _json(start_response, 200, {"status": "ok", "database": database})
        if path == "/readyz":
            body = readiness(engine)
            return _json(start_response, 200 if body["status"] == "ok" else 503, body)
        return _json(start_response, 404, {"error": "not found"})

    return application


def readiness(engine: Engine) -> dict[str, Any]:
    """Whether this process should get traffic: the database answers and is fully migrated."""
    database: dict[str, Any] = {"ok": True, "backend": engine.dialect.name}
    problem = ping(engine)
    if problem is not None:
        database.update(ok=False, error=problem)
        return {"status": "unavailable", "database": database}
    try:
        current = current_revision(engine)
    except Exception as exc:
        database.update(ok=False, error=f"{type(exc).__name__}: {exc}".splitlines()[0])
        return {"status": "unavailable", "database": database}
    migrations = {"ok": current == _head(), "current": current, "head": _head()}
    status = "ok" if migrations["ok"] else "unavailable"
    return {"status": status, "database": database, "migrations": migrations}


@cache
def _head() -> str | None:
    # Reads the migration files, so once per process; the code cannot change under us.
    return head_revision()


def _json(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
    start_response(
        f"{status} {reason[status]}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
