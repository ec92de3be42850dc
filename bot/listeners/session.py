"""Gives a listener a database session, and runs the slow part of a request after the ack.

The app runs listeners with Bolt's `process_before_response`: a listener runs in the HTTP
thread and its ack goes back to Slack when it returns. So a listener does only what must come
first there (read the payload, check it against the database, store what the user typed), and
everything slow (Web API calls, rendering that needs the database, repeat search) runs
afterwards as a job (bot/handoff.py): in a worker process under `aarbot run`, else in this
process's worker pool, whose size is AARBOT_WORKERS. Either way no ack waits behind it. A job
replays the request through the app to the same listener, which then does its second half:

- `@after_ack`: the listener acks at once and runs entirely as the job (buttons, shortcuts,
  events).
- `@with_session` with a `later` parameter: the listener checks and stores before its ack
  (a modal that may answer `response_action: errors`), then names its Slack calls with
  `later(function, **arguments)`: a module-level function and JSON arguments, because the job
  may cross to another process. Each runs in its own session once the listener's transaction
  has committed, so it sees what was stored, and what the user typed is kept even if it fails.
  The function takes its arguments, and any of `session`, `client`, `deps`, `respond`,
  `context` and `body`, by those names.

These are the one place request-handling code opens sessions. An error in work after the ack
goes to the app's error handler (`bot.errors.handle_error`), like one before it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from sqlalchemy import event
from sqlmodel import Session

from bot.deps import Deps
from bot.errors import handle_error
from bot.handoff import REPLAY_KEY, Handoff, job_for
from bot.logs import current_request_id
from storage import tenancy
from storage.db import session_scope

DEPS_KEY = "aarbot_deps"
WORKERS_KEY = "aarbot_workers"

Work = Callable[[Session], object]
# What handing on a job, and a failure after the ack, need, whether or not the listener asks.
_FOR_ERRORS = ("context", "body", "client", "respond", "request")
# What a `later` function may ask for by name, besides `session` and its own arguments.
_INJECTABLE = ("client", "deps", "respond", "context", "body")


_COMMITTED = "aarbot_committed"


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    session.info[_COMMITTED] = True


def deps_of(context: BoltContext) -> Deps:
    """The Deps the app's middleware put on this request's context."""
    return context[DEPS_KEY]


class Later:
    """Work a listener names to run after its ack, each piece in its own session."""

    def __init__(self) -> None:
        self.work: list[list[Any]] = []

    def __call__(self, work: Callable[..., object], /, **arguments: Any) -> None:
        """Queue `work(**arguments)`, given whatever else it asks for (`session`, `client`…)."""
        name = f"{work.__module__}:{work.__qualname__}"
        if "<" in work.__qualname__:  # <locals>, <lambda>: nothing another process can find
            raise TypeError(f"later() needs a module-level function, not {name}")
        # A job may cross to another process, so what it carries is JSON, here as there.
        self.work.append([name, json.loads(json.dumps(arguments))])


@functools.cache
def _resolve(name: str) -> Callable[..., object]:
    module, _, qualname = name.partition(":")
    if not module.startswith("bot."):
        raise ValueError(f"{name} is not aarbot's work")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _run_later(kwargs: dict[str, Any], name: str, arguments: dict[str, Any]) -> Work:
    work = _resolve(name)
    wanted = inspect.signature(work).parameters
    available = {k: kwargs[k] for k in _INJECTABLE if k != "deps"}
    available["deps"] = deps_of(kwargs["context"])
    given = {k: v for k, v in available.items() if k in wanted}
    if "session" in wanted:
        return lambda session: work(session=session, **given, **arguments)
    return lambda _session: work(**given, **arguments)


def _finish(kwargs: dict[str, Any], work: Work, *, saved: bool) -> None:
    """Run `work` in a session of its own; a failure goes to the error handler."""
    session: Session | None = None
    try:
        with session_scope(deps_of(kwargs["context"]).engine) as session:
            tenancy.scope(session, kwargs["context"].team_id)
            work(session)
    except Exception as error:
        handle_error(
            error=error,
            body=kwargs["body"],
            client=kwargs["client"],
            respond=kwargs["respond"],
            response=None,
            # Work that commits part-way (a review button's `click.saved()`) has stored
            # the change by the time a later Slack call fails.
            saved=saved or bool(session is not None and session.info.get(_COMMITTED)),
        )


def _hand_on(kwargs: dict[str, Any], work: list | None) -> None:
    handoff: Handoff = kwargs["context"][WORKERS_KEY]
    handoff.send(job_for(kwargs["request"], current_request_id(), work))


def _bolt_signature(
    listener: Callable[..., Any], *, hide: set[str], need: tuple[str, ...]
) -> tuple[inspect.Signature, set[str]]:
    """The signature Bolt should see (without our own arguments, with those we need)."""
    signature = inspect.signature(listener)
    own = [p for name, p in signature.parameters.items() if name not in hide]
    names = {p.name for p in own}
    extra = [
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for n in need
        if n not in names
    ]
    return signature.replace(parameters=own + extra), names


def _as_bolt_listener(run: Callable[..., Any], signature: inspect.Signature) -> None:
    # Bolt injects arguments by the names it finds through inspect.unwrap, so it must see
    # the wrapper's own signature (without `session`), not the wrapped function's.
    del run.__wrapped__
    run.__signature__ = signature  # type: ignore[attr-defined]


def with_session(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a listener that takes `session`, `deps` or `later` (any of them) for Bolt.

    It runs before the response to Slack: its session commits before the ack goes back,
    then what it named with `later` runs as one job.
    """
    parameters = inspect.signature(listener).parameters
    wants_deps, wants_later = "deps" in parameters, "later" in parameters
    wants_session = "session" in parameters
    signature, names = _bolt_signature(
        listener,
        hide={"session", "deps", "later"},
        need=("ack", *_FOR_ERRORS) if wants_later else ("context",),
    )

    @functools.wraps(listener)
    def run(**kwargs: Any) -> Any:
        replaying = kwargs["context"].get(REPLAY_KEY)
        if replaying is not None:
            # The second half: the listener answered Slack and stored; run what it named.
            kwargs["ack"]()
            for name, arguments in replaying["work"]:
                _finish(kwargs, _run_later(kwargs, name, arguments), saved=True)
            return None
        own = {k: v for k, v in kwargs.items() if k in names}
        if wants_deps:
            own["deps"] = deps_of(kwargs["context"])
        later = Later()
        if wants_later:
            own["later"] = later
        if wants_session:
            with session_scope(deps_of(kwargs["context"]).engine) as session:
                tenancy.scope(session, kwargs["context"].team_id)
                result = listener(session=session, **own)
        else:  # a command that only routes: no database before its ack
            result = listener(**own)
        if later.work:
            # The listener's own transaction stored what the user typed before this runs.
            _hand_on(kwargs, later.work)
        return result

    _as_bolt_listener(run, signature)
    return run


def after_ack(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a listener that needs no say in its ack: ack at once, run it all as a job.

    The listener may take `session` and `deps`, never `ack`: Slack has its answer already.
    """
    parameters = inspect.signature(listener).parameters
    if "ack" in parameters:
        raise TypeError(f"{listener.__name__} runs after the ack, so it cannot take `ack`")
    wants_session, wants_deps = "session" in parameters, "deps" in parameters
    signature, names = _bolt_signature(
        listener, hide={"session", "deps"}, need=("ack", *_FOR_ERRORS)
    )

    @functools.wraps(listener)
    def run(**kwargs: Any) -> None:
        kwargs["ack"]()
        if kwargs["context"].get(REPLAY_KEY) is None:
            _hand_on(kwargs, None)
            return
        own = {k: v for k, v in kwargs.items() if k in names}
        if wants_deps:
            own["deps"] = deps_of(kwargs["context"])

        def work(session: Session) -> None:
            listener(**own, **({"session": session} if wants_session else {}))

        _finish(kwargs, work, saved=False)

    _as_bolt_listener(run, signature)
    return run
