"""Runs one claimed job: finds its function, gives it what it asks for, and settles the row.

A job names a function of aarbot's (`module:qualname`, only under `bot.`) or a listener that
runs after its ack (registered by `bot.slack.listeners.session.after_ack`), with JSON arguments and
the request it follows: its body and who, where and which team. The function gets, by name,
any of `session` (this job's, committed before each Web API call and at the end), `client`
(a bot/jobs/client.py JobClient for the job's team), `deps`, `respond` (the request's
response_url), `context`, `body`, `logger`, and the payload parts Bolt would have given the
listener (`action`, `view`, `command`, `event`, `shortcut`, `payload`).

A job that fails with a passing trouble (Slack rate limits or 5xx, a lost connection, a
database busy or gone) runs again later with backoff. One that fails otherwise, or too many
times, is kept as failed (`aarbot jobs status`, `aarbot jobs retry-failed`), and the person
whose request it was is told, once, with the request's reference.
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_bolt.request.payload_utils import (
    to_action,
    to_command,
    to_event,
    to_shortcut,
    to_view,
)
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.jobs.client import JobClient, posted_of
from bot.runtime.deps import Deps
from bot.runtime.logs import continue_request
from bot.slack.clients import NotInstalledError, team_clients
from bot.slack.errors import handle_error
from storage import outbox, tenancy, writes
from storage.db import end_before_call, session_scope
from storage.models import Job
from storage.types import utcnow

log = logging.getLogger("aarbot.jobs")

DEPS_KEY = "deps"
REQUEST_ID_KEY = "aarbot_request_id"
# Listeners that run after their ack, by name: filled as bot.slack.listeners is imported.
AFTER_ACK: dict[str, Callable[..., Any]] = {}
_TRANSIENT_SLACK = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
)


class TryLater(Exception):  # noqa: N818 - a signal, not a failure
    """Raised by a job that cannot run yet: it runs again after `seconds`, however often,
    until it is `within` seconds old; then it is dropped, with a log line and no apology."""

    def __init__(self, seconds: float = 1.0, reason: str = "not yet", within: float = 60) -> None:
        super().__init__(reason)
        self.seconds, self.within = seconds, within


@functools.cache
def resolve(name: str) -> Callable[..., Any]:
    """The function a job names."""
    if name in AFTER_ACK:
        return AFTER_ACK[name]
    module, _, qualname = name.partition(":")
    if not module.startswith("bot."):
        raise ValueError(f"{name} is not aarbot's work")
    found: Any = importlib.import_module(module)
    if name in AFTER_ACK:  # a listener, registered as its module was imported
        return AFTER_ACK[name]
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


JOB_KEY = "aarbot_job"
_APPLIED = "applied"


@dataclass(frozen=True)
class JobMark:
    """What a job's work may know of its job: whether an earlier attempt already committed
    its change (`applied`), and how to say it did, in the transaction of that change."""

    job_id: int
    applied: bool

    def mark_applied(self, session: Session) -> None:
        """Record, in `session`'s transaction, that the job's change is made."""
        outbox.record_post(session, job_id=self.job_id, key=_APPLIED, message={})


def _context(job: Job, deps: Deps, who: dict[str, Any], client: JobClient) -> BoltContext:
    return BoltContext(
        {
            "team_id": who.get("team_id") or job.team_id or None,
            "enterprise_id": who.get("enterprise_id"),
            "user_id": who.get("user_id"),
            "channel_id": who.get("channel_id"),
            "bot_user_id": who.get("bot_user_id"),
            "client": client,
            "logger": log,
            DEPS_KEY: deps,
            JOB_KEY: JobMark(job.id or 0, _APPLIED in posted_of(job.posts)),
        }
    )


def _respond(body: dict[str, Any]) -> Respond | None:
    url = body.get("response_url")
    if not url:
        urls = body.get("response_urls") or []
        url = urls[0].get("response_url") if urls else None
    return Respond(response_url=url) if url else None


def _arguments(
    work: Callable[..., Any], available: dict[str, Any], args: dict[str, Any]
) -> dict[str, Any]:
    wanted = inspect.signature(work).parameters
    given = {k: v for k, v in available.items() if k in wanted}
    return {**given, **args}


def transient(error: BaseException) -> bool:
    """Whether trying again later can help."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status == 429 or status >= 500 or error.response.get("error") in _TRANSIENT_SLACK
    if isinstance(error, NotInstalledError):
        return False
    return isinstance(error, (OSError, OperationalError, SlackClientError, TryLater))


def backoff(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: 1, 2, 4 … up to 5 minutes."""
    return float(min(300, 2 ** max(0, attempt - 1)))


def run(deps: Deps, job: Job, *, owner: str) -> bool:
    """Run `job` (claimed by `owner`) to its end, under its request's id; True when done."""
    return contextvars.copy_context().run(_run, deps, job, owner)


def _run(deps: Deps, job: Job, owner: str) -> bool:
    payload = outbox_payload(job)
    continue_request(job.request_id)
    body: dict[str, Any] = payload.get("body") or {}
    who: dict[str, Any] = payload.get("who") or {}
    engine = deps.engine
    session_holder: dict[str, Session] = {}

    def commit() -> None:
        session = session_holder.get("session")
        if session is not None:
            end_before_call(session)

    def remember(key: str, message: dict[str, Any]) -> None:
        session = session_holder.get("session")
        if session is not None and session.in_transaction():
            # It holds what the job wrote (and, on SQLite, the write lock): record it there.
            # If that transaction is lost, the post's metadata still lets a retry find it.
            outbox.record_post(session, job_id=job.id or 0, key=key, message=message)
            return
        with session_scope(engine) as own:
            outbox.record_post(own, job_id=job.id or 0, key=key, message=message)

    try:
        base = team_clients(deps.settings, engine).for_team(job.team_id)
        client = JobClient(
            base,
            before_call=commit,
            job_id=job.id or 0,
            attempt=job.attempts,
            posted=posted_of(job.posts),
            remember=remember,
        )
        work = resolve(payload["fn"])
        respond = _respond(body)
        with session_scope(engine) as session:
            # The job's request was signed for this team: it touches nothing of another.
            tenancy.scope(session, job.team_id)
            session_holder["session"] = session
            available = {
                "session": session,
                "client": client,
                "deps": deps,
                "respond": respond,
                "context": _context(job, deps, who, client),
                "body": body,
                "logger": log,
                "action": to_action(body),
                "view": to_view(body),
                "command": to_command(body),
                "event": to_event(body),
                "shortcut": to_shortcut(body),
            }
            available["payload"] = (
                available["action"]
                or available["view"]
                or available["shortcut"]
                or available["event"]
                or body
            )
            work(**_arguments(work, available, payload.get("args") or {}))
            # The last of the job's own changes and its deletion commit together.
            outbox.finish(session, job_id=job.id or 0, owner=owner)
        return True
    except Exception as error:
        saved = _input_saved(job, payload, session_holder.get("session"))
        return _failed(deps, job, owner, error, body, saved=saved)


def _input_saved(job: Job, payload: dict[str, Any], session: Session | None) -> bool:
    """Whether what the person typed or did is stored, for all the job failed: a `later` job
    runs only after its listener committed; a listener run as the job stored it if this
    attempt committed more than bookkeeping, or an earlier one marked the change applied."""
    if payload.get("fn") not in AFTER_ACK:
        return True
    applied = _APPLIED in posted_of(job.posts)
    return applied or (session is not None and writes.input_stored(session))


def _failed(
    deps: Deps, job: Job, owner: str, error: Exception, body: dict[str, Any], *, saved: bool
) -> bool:
    if isinstance(error, TryLater):
        return _later(deps, job, owner, error)
    attempts_left = job.attempts < deps.settings.job_max_attempts
    again = transient(error) and attempts_left
    delay = error.seconds if isinstance(error, TryLater) else backoff(job.attempts)
    if again:
        log.warning(
            "job %s (%s) attempt %d failed, again in %.0f s: %s",
            job.id,
            job.name,
            job.attempts,
            delay,
            error,
        )
    with session_scope(deps.engine) as session:
        outbox.retry_later(
            session,
            job_id=job.id or 0,
            owner=owner,
            error=f"{type(error).__name__}: {error}",
            at=utcnow() + timedelta(seconds=delay),
            final=not again,
        )
    if not again:
        # The request was verified when its job was written; its person hears of it once.
        try:
            base = team_clients(deps.settings, deps.engine).for_team(job.team_id)
        except SlackClientError:
            log.error("job %s (%s) failed for good", job.id, job.name, exc_info=error)
            return False
        handle_error(
            error=error,
            body=body,
            client=base,
            respond=_respond(body),
            response=None,
            saved=saved,
            trusted=True,
        )
    return False


def _later(deps: Deps, job: Job, owner: str, error: TryLater) -> bool:
    now = utcnow()
    with session_scope(deps.engine) as session:
        if (now - job.created_at).total_seconds() >= error.within:
            log.info("job %s (%s) dropped after waiting: %s", job.id, job.name, error)
            outbox.finish(session, job_id=job.id or 0, owner=owner)
            return True
        outbox.retry_later(
            session,
            job_id=job.id or 0,
            owner=owner,
            error=f"waiting: {error}",
            at=now + timedelta(seconds=error.seconds),
            final=False,
        )
    return False


def outbox_payload(job: Job) -> dict[str, Any]:
    """The job's payload, parsed."""
    return json.loads(job.payload)
