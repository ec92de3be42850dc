"""The WSGI application: Slack's requests on /slack/events, liveness and readiness probes.

Every POST to /slack/events is verified here, before Bolt or anything of ours reads it: its
size, Slack's timestamp (digits, within five minutes) and its v0 signature (slack_sdk's
SignatureVerifier). One that fails gets 401 and causes nothing else: no listener, no error
handler, no Web API call, and a log line without the body. A verified body that cannot be
parsed, or is not of a shape aarbot handles (bot/slack/shapes.py), gets 400 and one log line
without the body. So Bolt, built with its own verification off, only ever sees requests
Slack signed, of a kind it handles, with their text cleaned; each carries VERIFIED_KEY on
its context, which the error handler requires before it tells anyone anything.

In multi-workspace mode it also serves the install page (GET /slack/install) and Slack's
redirect back after an install (GET /slack/oauth_redirect), both handled by Bolt's OAuth flow.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Callable, Iterable
from functools import cache
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlmodel import Session

from bot.jobs.workers import IN_FLIGHT
from bot.runtime.logs import new_request_id
from bot.slack import shapes
from bot.slack.errors import VERIFIED_KEY
from storage import outbox
from storage.db import current_revision, head_revision, ping

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"
# Slack's largest payloads (a 100-block modal submitted with its state) are far below this.
MAX_BODY = 2 * 1024 * 1024
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

log = logging.getLogger("aarbot.web")


def make_wsgi_app(
    *, bolt_app: App, engine: Engine, signing_secret: str, max_job_age: float | None = None
) -> WsgiApp:
    """Route Slack's POSTs (and the install routes) to Bolt; answer /healthz and /readyz.

    /readyz says 503 while the oldest job waiting in the outbox is older than `max_job_age`
    seconds (AARBOT_READY_MAX_JOB_AGE), so a load balancer can send traffic elsewhere.
    """
    slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)
    flow = bolt_app.oauth_flow
    install_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = "POST" if path == EVENTS_PATH else "GET" if path in install_paths else None
        if method is not None:
            if environ.get("REQUEST_METHOD") != method:
                return _json(start_response, 405, {"error": f"{method} only"})
            if method == "POST":
                return _events(bolt_app, verifier, environ, start_response)
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
            body = readiness(engine, max_job_age=max_job_age)
            return _json(start_response, 200 if body["status"] == "ok" else 503, body)
        return _json(start_response, 404, {"error": "not found"})

    return application


def _events(
    bolt_app: App,
    verifier: SignatureVerifier,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
) -> Iterable[bytes]:
    """One POST from Slack: verified, parsed, then handed to Bolt."""
    headers = _headers(environ)
    body, refusal = _verified_body(environ, headers, verifier)
    if refusal is not None:
        log.warning("refused a request that failed verification: %s", refusal)
        return _json(start_response, 401, {"error": "invalid request"})
    try:
        # Parsed, checked against the shape of its kind and cleaned (bot/slack/shapes.py): Bolt
        # only ever sees a body of a kind aarbot handles, with the types its listeners read.
        checked = shapes.check(body.decode("utf-8"), headers.get("content-type"))
        request = BoltRequest(
            body=checked,
            query=environ.get("QUERY_STRING", ""),
            headers=headers,
            context={VERIFIED_KEY: True},
        )
    except (ValueError, TypeError, AttributeError) as error:
        # Signed by Slack, yet not a body Slack sends: nobody can be told, so only log it,
        # with what is wrong but nothing of the body.
        reason = str(error) if isinstance(error, shapes.MalformedError) else type(error).__name__
        log.warning("refused a signed request whose body is malformed: %s", reason)
        return _json(start_response, 400, {"error": "malformed body"})
    # Each request in a context of its own, under a fresh id on every log line from here on.
    return _send(start_response, contextvars.copy_context().run(_dispatch, bolt_app, request))


def _dispatch(bolt_app: App, request: BoltRequest) -> BoltResponse:
    new_request_id()
    with IN_FLIGHT:  # the outbox workers of this process let it go first
        return bolt_app.dispatch(request)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            headers[key.lower().replace("_", "-")] = value
        elif key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
    return headers


def _verified_body(
    environ: dict[str, Any], headers: dict[str, str], verifier: SignatureVerifier
) -> tuple[bytes, str | None]:
    """The body if Slack signed it, else why not (never anything read from the body)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b"", "a Content-Length that is not a number"
    if length > MAX_BODY:
        return b"", f"a body of {length} bytes, over {MAX_BODY}"
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp):
        return b"", "no numeric X-Slack-Request-Timestamp"
    if not _SIGNATURE.fullmatch(signature):
        return b"", "no v0 X-Slack-Signature"
    stream = environ.get("wsgi.input")
    body = stream.read(length) if stream is not None and length > 0 else b""
    try:
        valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, UnicodeError):
        valid = False  # not UTF-8: Slack signs UTF-8 text
    if not valid:
        return b"", "a stale timestamp or a signature that does not match"
    return body, None


def _send(start_response: Callable[..., Any], response: BoltResponse) -> list[bytes]:
    payload = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append(("Content-Length", str(len(payload))))
    start_response(f"{response.status} {_reason(response.status)}", headers)
    return [payload]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def readiness(engine: Engine, *, max_job_age: float | None = None) -> dict[str, Any]:
    """Whether this process should get traffic: the database answers and is fully migrated,
    and (given `max_job_age`) the outbox is not behind by more than that many seconds."""
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
    answer: dict[str, Any] = {"database": database, "migrations": migrations}
    ok = migrations["ok"]
    if ok and max_job_age is not None:
        with Session(engine) as session:
            age = outbox.oldest_waiting_age(session)
        behind = age is not None and age > max_job_age
        answer["outbox"] = {"ok": not behind, "oldest_waiting_seconds": age}
        ok = not behind
    return {"status": "ok" if ok else "unavailable", **answer}


@cache
def _head() -> str | None:
    # Reads the migration files, so once per process; the code cannot change under us.
    return head_revision()


def _json(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        f"{status} {_reason(status)}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
