"""Gives a listener a database session: the one place request-handling code opens one.

Bolt runs a listener in its executor after the HTTP response has gone (so acks are fast), so a
session cannot come from a middleware that has already returned; it is opened here, in the
listener's own thread, committed when the listener returns and rolled back if it raises.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.deps import Deps
from storage.db import session_scope

DEPS_KEY = "aarbot_deps"


def deps_of(context: BoltContext) -> Deps:
    """The Deps the app's middleware put on this request's context."""
    return context[DEPS_KEY]


def with_session(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a listener that takes `session` (and optionally `deps`) so Bolt can call it."""
    signature = inspect.signature(listener)
    own = [p for name, p in signature.parameters.items() if name not in {"session", "deps"}]
    if "context" not in signature.parameters:
        own.append(inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD))
    wants_deps = "deps" in signature.parameters
    wants_context = "context" in signature.parameters

    @functools.wraps(listener)
    def run(**kwargs: Any) -> Any:
        context: BoltContext = kwargs["context"] if wants_context else kwargs.pop("context")
        deps = deps_of(context)
        if wants_deps:
            kwargs["deps"] = deps
        with session_scope(deps.engine) as session:
            return listener(session=session, **kwargs)

    # Bolt injects arguments by the names it finds through inspect.unwrap, so it must see
    # this wrapper's own signature (without `session`), not the wrapped function's.
    del run.__wrapped__
    run.__signature__ = signature.replace(parameters=own)  # type: ignore[attr-defined]
    return run
