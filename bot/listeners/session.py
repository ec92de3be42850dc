"""Gives a listener a database session, and runs the slow part of a request after the ack.

The app runs listeners with Bolt's `process_before_response`: a listener runs in the HTTP
thread and its ack goes back to Slack when it returns. So a listener does only what must come
first there (read the payload, check it against the database, store what the user typed), and
everything slow (Web API calls, rendering that needs the database, repeat search) runs
afterwards in the worker pool, whose size is AARBOT_WORKERS. The two pools are separate, so
slow work waiting on Slack can never hold up an ack. Two ways in:

- `@after_ack`: the listener acks at once and runs entirely in the worker pool (buttons,
  shortcuts, events).
- `@with_session` with a `later` parameter: the listener checks and stores before its ack
  (a modal that may answer `response_action: errors`), then hands its Slack calls to
  `later(work)`; each `work(session)` runs in the pool once the listener's own transaction has
  committed, so it sees what was stored, and what the user typed is kept even if it fails.

These are the one place request-handling code opens sessions. An error in work after the ack
goes to the app's error handler (`bot.errors.handle_error`), like one before it.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import BoltContext
from sqlalchemy import event
from sqlmodel import Session

from bot.deps import Deps
from bot.errors import handle_error
from storage.db import session_scope

DEPS_KEY = "aarbot_deps"
WORKERS_KEY = "aarbot_workers"

Work = Callable[[Session], object]
# What a deferred failure needs to reach the user, whether or not the listener asked for it.
_FOR_ERRORS = ("context", "body", "client", "respond")


_COMMITTED = "aarbot_committed"


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    session.info[_COMMITTED] = True


def deps_of(context: BoltContext) -> Deps:
    """The Deps the app's middleware put on this request's context."""
    return context[DEPS_KEY]


class Later:
    """Work a listener hands on to run after its ack, each piece in its own session."""

    def __init__(self) -> None:
        self.work: list[Work] = []

    def __call__(self, work: Work) -> Work:
        """Queue `work(session)`; usable as a decorator on a nested function."""
        self.work.append(work)
        return work


def _submit(kwargs: dict[str, Any], work: Work, *, saved: bool) -> None:
    context: BoltContext = kwargs["context"]
    deps = deps_of(context)
    request = contextvars.copy_context()  # the request id follows the work to the pool

    def run() -> None:
        session: Session | None = None
        try:
            with session_scope(deps.engine) as session:
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

    workers: Executor = context[WORKERS_KEY]
    workers.submit(request.run, run)


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
    """Wrap a listener that takes `session` (and optionally `deps`, `later`) for Bolt.

    It runs before the response to Slack: its session commits before the ack goes back,
    then whatever it passed to `later` starts in the worker pool.
    """
    parameters = inspect.signature(listener).parameters
    wants_deps, wants_later = "deps" in parameters, "later" in parameters
    signature, names = _bolt_signature(
        listener,
        hide={"session", "deps", "later"},
        need=_FOR_ERRORS if wants_later else ("context",),
    )

    @functools.wraps(listener)
    def run(**kwargs: Any) -> Any:
        own = {k: v for k, v in kwargs.items() if k in names}
        if wants_deps:
            own["deps"] = deps_of(kwargs["context"])
        later = Later()
        if wants_later:
            own["later"] = later
        with session_scope(deps_of(kwargs["context"]).engine) as session:
            result = listener(session=session, **own)
        for work in later.work:
            # The listener's own transaction stored what the user typed before this runs.
            _submit(kwargs, work, saved=True)
        return result

    _as_bolt_listener(run, signature)
    return run


def after_ack(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a listener that needs no say in its ack: ack at once, run it in the worker pool.

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
        own = {k: v for k, v in kwargs.items() if k in names}
        if wants_deps:
            own["deps"] = deps_of(kwargs["context"])

        def work(session: Session) -> None:
            listener(**own, **({"session": session} if wants_session else {}))

        _submit(kwargs, work, saved=False)

    _as_bolt_listener(run, signature)
    return run
