"""Builds the Bolt app from Settings. Nothing here runs at import time."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.jobs.runner import DEPS_KEY, REQUEST_ID_KEY
from bot.runtime.deps import Deps
from bot.runtime.logs import current_request_id, new_request_id
from bot.runtime.settings import Settings
from bot.slack.errors import handle_error
from bot.slack.listeners import register_listeners

# What Bolt's App and OAuthSettings read from the environment for themselves when not given
# it: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET alone would turn on a file-based OAuth flow.
_BOLT_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SCOPES",
    "SLACK_USER_SCOPES",
    "SLACK_REDIRECT_URI",
    "SLACK_INSTALL_PATH",
    "SLACK_REDIRECT_URI_PATH",
)
_BOLT_ENV_LOCK = threading.Lock()


@contextmanager
def _settings_only() -> Iterator[None]:
    """Hide from Bolt, while it builds the app, the variables it would read past Settings."""
    with _BOLT_ENV_LOCK:
        hidden = {name: os.environ.pop(name) for name in _BOLT_ENV if name in os.environ}
        try:
            yield
        finally:
            os.environ.update(hidden)


def build_client(settings: Settings, *, token: str | None = None) -> WebClient:
    """A WebClient on SLACK_API_URL retrying 429 (after Retry-After), 5xx and lost connections.

    Its token is `token`, else SLACK_BOT_TOKEN; in multi-workspace mode the app's own client
    has none, because Bolt hands each request a client with its team's token.
    """
    if token is None and not settings.oauth:
        token = settings.slack_bot_token
    return WebClient(
        token=token or None,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def request_context(deps: Deps) -> Callable[..., Any]:
    """Bolt middleware: `deps` and the request's id on its context (a fresh id if the HTTP
    front door gave it none, as in Socket Mode).

    Bolt gives what is on the context to any listener that asks for it by name, and copies
    it for the lazy listeners, which carry the request id on from there.
    """

    def middleware(context: BoltContext, next: Callable[[], None]) -> None:
        context[DEPS_KEY] = deps
        context[REQUEST_ID_KEY] = current_request_id() or new_request_id()
        next()

    return middleware


def build_app(
    deps: Deps,
    *,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
) -> App:
    """The Bolt app with our middleware, listeners and error handler.

    Listeners run in the HTTP thread and answer Slack when they return; what they leave for
    after the ack is in the outbox (bot/jobs/), and modals open in `listener_executor`'s
    threads straight after the ack (Bolt's lazy listeners).
    """
    settings = deps.settings
    listener_executor = listener_executor or ThreadPoolExecutor(
        max_workers=settings.workers, thread_name_prefix="aarbot-lazy"
    )
    client = client or build_client(settings)
    # Settings are the only source: OAuth is on when they say so, whatever the environment.
    with _settings_only():
        oauth = {}
        if settings.oauth:
            # Multi-workspace: Bolt serves the install routes and authorizes each request with
            # its own team's token from the installation store.
            from bot.slack.install import NOT_INSTALLED, authorize, oauth_settings

            flow = oauth_settings(settings, deps.engine)
            oauth = {
                "oauth_settings": flow,
                "authorize": authorize(flow, client),
                "user_facing_authorize_error_message": NOT_INSTALLED,
            }
        app = App(
            signing_secret=settings.slack_signing_secret,
            client=client,
            logger=logging.getLogger("aarbot.bolt"),
            listener_executor=listener_executor,
            # Bolt would call auth.test while building the app; we check the token in `doctor`
            # and on the first request instead, so building the app never touches the network.
            token_verification_enabled=False,
            # Every HTTP request is verified before it reaches Bolt (bot/runtime/web.py),
            # which refuses one Bolt's own check would raise on (a non-numeric timestamp).
            request_verification_enabled=False,
            # A request we missed is retried by Slack; dedup by event id keeps that safe.
            raise_error_for_unhandled_request=False,
            # Listeners run in the HTTP thread and their ack is answered when they return, so
            # what they store (and the jobs they leave) is committed before Slack has its ack.
            process_before_response=True,
            **oauth,
        )
    app.use(request_context(deps))
    app.error(handle_error)
    register_listeners(app)
    return app
