"""How a listener gets a database session, and how its work after the ack is kept.

The app's middleware (bot/slack/app.py) puts `deps` on every request's context, where Bolt gives it
to any listener that asks for `deps`. Listeners then come in three shapes:

- `@with_session`: runs before the ack, in a transaction that commits when it returns, which
  is before Bolt sends the ack (the app runs with `process_before_response`). A modal that may
  answer `response_action: errors` is one. What it names with `later(function, **arguments)`
  is written to the outbox (storage/outbox.py) in that same transaction: a module-level
  function and JSON arguments, run by a worker once committed.
- `@after_ack`: acks at once, and runs entirely as a job: the request's own body is written to
  the outbox before the ack, and a worker runs the listener with it. A click that moves a
  review and a thread reply are such, so none is lost once Slack has its ack.
- `@opens_modal`: registered as a Bolt lazy listener (`attach`), so it runs in this process
  straight after the ack, well inside the 3 s a trigger id lives. Nothing it does is the
  user's input, so nothing is lost if the process dies then; `expired_trigger_id` gets the
  person a private "please try again", and a trigger used twice (a double click) is quiet.

A job's function, or an `after_ack` listener run as a job, is given by name any of `session`,
`client`, `deps`, `respond`, `context`, `body` and the payload parts (bot/jobs/runner.py).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltRequest, Respond
from slack_bolt.request.payload_utils import (
    to_action,
    to_command,
    to_event,
    to_shortcut,
    to_view,
)
from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.client import CommittingClient
from bot.jobs.runner import AFTER_ACK, DEPS_KEY, REQUEST_ID_KEY
from bot.jobs.workers import wake
from bot.runtime.deps import Deps
from bot.runtime.logs import continue_request, current_request_id
from bot.slack.errors import handle_error
from bot.slack.idempotency import first_submission
from storage import outbox, tenancy
from storage.db import end_before_call, session_scope

log = logging.getLogger("aarbot.listeners")


def deps_of(context: BoltContext) -> Deps:
    """The Deps the app's middleware put on this request's context."""
    return context[DEPS_KEY]


def _who(context: BoltContext) -> dict[str, Any]:
    return {
        "team_id": context.team_id,
        "enterprise_id": context.enterprise_id,
        "user_id": context.user_id,
        "channel_id": context.channel_id,
        "bot_user_id": context.bot_user_id,
    }


def lane_of(body: dict[str, Any]) -> str | None:
    """The conversation (a thread, else a channel) whose jobs must run in order."""
    event = body.get("event") or {}
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (
        event.get("channel") or container.get("channel_id") or (body.get("channel") or {}).get("id")
    )
    thread = (
        event.get("thread_ts")
        or (event.get("message") or {}).get("thread_ts")
        or (event.get("previous_message") or {}).get("thread_ts")
        or message.get("thread_ts")
        or container.get("thread_ts")
        or container.get("message_ts")
    )
    if channel and thread:
        return f"{channel}:{thread}"
    return channel or None


def _enqueue(
    session: Session,
    context: BoltContext,
    body: dict[str, Any],
    name: str,
    args: dict[str, Any] | None,
    lane: str | None,
) -> None:
    outbox.enqueue(
        session,
        name=name,
        payload={"fn": name, "args": args or {}, "body": body, "who": _who(context)},
        team_id=context.team_id or "",
        lane=lane,
        request_id=current_request_id(),
    )


class Later:
    """Work a listener names to run after its ack: outbox rows in the listener's transaction."""

    def __init__(self, session: Session, context: BoltContext, body: dict[str, Any]) -> None:
        self.session, self.context, self.body = session, context, body
        self.count = 0

    def __call__(self, work: Callable[..., object], /, **arguments: Any) -> None:
        """Queue `work(**arguments)`, given whatever else it asks for (`session`, `client`…)."""
        name = f"{work.__module__}:{work.__qualname__}"
        if "<" in work.__qualname__ or not work.__module__.startswith("bot."):
            raise TypeError(f"later() needs a module-level function of bot/, not {name}")
        # A job runs in another thread or process, maybe after a restart: it carries JSON.
        args = json.loads(json.dumps(arguments))
        _enqueue(self.session, self.context, self.body, name, args, lane_of(self.body))
        self.count += 1


def _available(body: dict[str, Any], context: BoltContext, **given: Any) -> dict[str, Any]:
    return {
        "body": body,
        "context": context,
        "deps": context[DEPS_KEY],
        "action": to_action(body),
        "view": to_view(body),
        "command": to_command(body),
        "event": to_event(body),
        "shortcut": to_shortcut(body),
        **given,
    }


def _pick(parameters: Any, available: dict[str, Any]) -> dict[str, Any]:
    return {name: available.get(name) for name in parameters}


def _named_like(run: Callable[..., Any], listener: Callable[..., Any]) -> None:
    run.__name__, run.__qualname__ = listener.__name__, listener.__qualname__
    run.__module__, run.__doc__ = listener.__module__, listener.__doc__


def with_session(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Run `listener` before the ack in a transaction committed before Slack gets the ack."""
    parameters = inspect.signature(listener).parameters
    wants_session = "session" in parameters or "later" in parameters

    def run(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond):
        available = _available(body, context, ack=ack, client=client, respond=respond)
        if not wants_session:  # a command that only routes
            return listener(**_pick(parameters, available))
        with session_scope(deps_of(context).engine) as session:
            tenancy.scope(session, context.team_id)
            later = Later(session, context, body)
            result = listener(
                **_pick(parameters, {**available, "session": session, "later": later})
            )
        if later.count:
            wake()
        return result

    _named_like(run, listener)
    return run


def submission(listener: Callable[..., Any]) -> Callable[..., Any]:
    """`with_session` for a modal's submission, applied once: the same view id and hash
    submitted again (a double click) is acked and does nothing (bot/slack/idempotency.py).

    The claim is the transaction's first write. A listener that must call Slack before its
    transaction starts (the action modal's owner lookup) claims for itself instead.
    """
    parameters = set(inspect.signature(listener).parameters)

    def once(
        ack: Ack,
        body: dict,
        session: Session,
        view: dict,
        context: BoltContext,
        client: WebClient,
        respond: Respond,
        deps: Deps,
        later: Later,
    ) -> Any:
        if not first_submission(session, body):
            ack()  # applied once already
            return None
        given = {"ack": ack, "body": body, "session": session, "view": view}
        given |= {"context": context, "client": client, "respond": respond}
        given |= {"deps": deps, "later": later}
        return listener(**{k: v for k, v in given.items() if k in parameters})

    _named_like(once, listener)
    return with_session(once)


def after_ack(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Ack at once and keep the request as a job; a worker runs `listener` with it.

    The listener may take `session`, `deps` and the rest (bot/jobs/runner.py), never `ack`:
    Slack has its answer already.
    """
    if "ack" in inspect.signature(listener).parameters:
        raise TypeError(f"{listener.__name__} runs after the ack, so it cannot take `ack`")
    name = f"{listener.__module__}:{listener.__qualname__}"
    if name in AFTER_ACK and AFTER_ACK[name] is not listener:
        raise TypeError(f"two listeners run after their ack as {name}")
    AFTER_ACK[name] = listener

    def run(ack: Ack, body: dict, context: BoltContext) -> None:
        with session_scope(deps_of(context).engine) as session:
            _enqueue(session, context, body, name, None, lane_of(body))
        ack()
        wake()

    _named_like(run, listener)
    return run


def opens_modal(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Run `listener` in this process straight after the ack (a Bolt lazy listener)."""
    parameters = inspect.signature(listener).parameters

    def run(
        body: dict, client: WebClient, context: BoltContext, respond: Respond, request: BoltRequest
    ) -> None:
        deps = deps_of(context)
        continue_request(context.get(REQUEST_ID_KEY))
        try:
            with session_scope(deps.engine) as session:
                tenancy.scope(session, context.team_id)
                committing = CommittingClient(client, lambda: end_before_call(session))
                available = _available(
                    body, context, client=committing, respond=respond, session=session
                )
                listener(**_pick(parameters, available))
        except Exception as error:
            # Also a trigger that expired (a private "please try again") or was used already
            # (a double click: quiet); see bot.slack.errors.
            handle_error(
                error=error,
                body=body,
                client=client,
                respond=respond,
                response=None,
                request=request,  # the verified request: only its person may be told
            )

    _named_like(run, listener)
    run.opens_modal = True  # type: ignore[attr-defined]
    return run


def ack_now(ack: Ack) -> None:
    """The ack of a listener whose whole work runs lazily after it."""
    ack()


def attach(register: Callable[..., Any], listener: Callable[..., Any]) -> None:
    """Register `listener` with one of Bolt's decorators (`app.action(…)`, …)."""
    if getattr(listener, "opens_modal", False):
        register(ack=ack_now, lazy=[listener])
    else:
        register(listener)


def attach_by_id(
    register: Callable[[re.Pattern[str]], Callable[..., Any]],
    listeners: dict[str, Callable[..., Any]],
    id_of: Callable[[dict[str, Any]], str],
) -> None:
    """Register `listeners` (by action id, callback id or event type) as at most two Bolt
    listeners, one for those that open a modal and one for the rest, each handing the
    request to the listener its id names.

    Bolt tries its listeners in turn, building each one's matcher arguments, so a few
    listeners rather than dozens keep that off every ack.
    """
    modal = {k: f for k, f in listeners.items() if getattr(f, "opens_modal", False)}
    rest = {k: f for k, f in listeners.items() if k not in modal}
    if rest:
        wanted = {k: set(inspect.signature(f).parameters) for k, f in rest.items()}

        def run_now(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond):
            name = id_of(body)
            given = {"ack": ack, "body": body, "client": client, "context": context}
            given["respond"] = respond
            return rest[name](**{k: v for k, v in given.items() if k in wanted[name]})

        register(_exactly(rest))(run_now)
    if modal:

        def run_lazy(
            body: dict, client: WebClient, context: BoltContext, respond, request: BoltRequest
        ) -> None:
            modal[id_of(body)](
                body=body, client=client, context=context, respond=respond, request=request
            )

        register(_exactly(modal))(ack=ack_now, lazy=[run_lazy])


def _exactly(names: dict[str, Any]) -> re.Pattern[str]:
    return re.compile("^(?:" + "|".join(re.escape(n) for n in sorted(names)) + ")$")
