"""The WSGI application: Slack's requests on /slack/events, health on /healthz."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from storage.db import ping

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"


def make_wsgi_app(*, bolt_app: App, engine: Engine) -> WsgiApp:
    """Route Slack's POSTs to Bolt and answer the health check ourselves."""
    slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH:
            if environ.get("REQUEST_METHOD") != "POST":
                return _json(start_response, 405, {"error": "POST only"})
            return slack(environ, start_response)
        if path == "/healthz":
            problem = ping(engine)
            body = {"status": "ok" if problem is None else "unavailable"}
            body["database"] = {"ok": problem is None, "backend": engine.dialect.name}
            if problem:
                body["database"]["error"] = problem
            return _json(start_response, 200 if problem is None else 503, body)
        return _json(start_response, 404, {"error": "not found"})

    return application


def _json(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
    start_response(
        f"{status} {reason[status]}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
