"""Builds the Bolt app from Settings. Nothing here runs at import time."""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener_matcher import ListenerMatcher
from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.deps import Deps
from bot.errors import handle_error
from bot.handoff import REPLAY_KEY, Handoff, InThreads
from bot.listeners import register_listeners
from bot.listeners.session import DEPS_KEY, WORKERS_KEY
from bot.logs import continue_request, new_request_id
from bot.settings import Settings

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


class AarbotApp(App):
    """Bolt's App, handling each request in a context of its own under a fresh request id.

    The id is on every log line of the request from here on, Bolt's own checks included, and
    its job (the work after the ack, bot/handoff.py) carries it on; it is gone once the
    request is answered. `handoff` takes those jobs.
    """

    deps: Deps
    handoff: Handoff

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Handle one request from Slack."""
        return contextvars.copy_context().run(self._dispatch_as_new_request, req)

    def _dispatch_as_new_request(self, req: BoltRequest) -> BoltResponse:
        # What a middleware would add, without Bolt building a middleware's arguments.
        req.context[DEPS_KEY] = self.deps
        req.context[WORKERS_KEY] = self.handoff
        replaying = req.context.get(REPLAY_KEY)
        if replaying is None:
            new_request_id()
        else:
            continue_request(replaying.get("request_id"))
        return super().dispatch(req)


def build_app(
    deps: Deps,
    *,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
    handoff: Handoff | None = None,
) -> App:
    """The Bolt app with our listeners and error handler.

    The work after each ack goes to `handoff`; by default, to a pool of AARBOT_WORKERS threads
    in this process (`listener_executor`, if given). The HTTP server has its own threads for
    the acks.
    """
    settings = deps.settings
    if handoff is None:
        listener_executor = listener_executor or ThreadPoolExecutor(
            max_workers=settings.workers, thread_name_prefix="aarbot-worker"
        )
        handoff = InThreads(listener_executor)
    elif listener_executor is None:
        # Bolt wants a pool for lazy listeners, which aarbot has none of.
        listener_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aarbot-bolt")
    client = client or build_client(settings)
    # Settings are the only source: OAuth is on when they say so, whatever the environment.
    with _settings_only():
        oauth = {}
        if settings.oauth:
            # Multi-workspace: Bolt serves the install routes and authorizes each request with
            # its own team's token from the installation store.
            from bot.install import NOT_INSTALLED, authorize, oauth_settings

            flow = oauth_settings(settings, deps.engine)
            oauth = {
                "oauth_settings": flow,
                "authorize": authorize(flow, client),
                "user_facing_authorize_error_message": NOT_INSTALLED,
            }
        app = AarbotApp(
            signing_secret=settings.slack_signing_secret,
            client=client,
            logger=logging.getLogger("aarbot.bolt"),
            listener_executor=listener_executor,
            # Bolt would call auth.test while building the app; we check the token in `doctor`
            # and on the first request instead, so building the app never touches the network.
            token_verification_enabled=False,
            # Every HTTP request is verified before it reaches Bolt (bot/web.py), which refuses
            # one Bolt's own check would raise on (a timestamp that is not a number).
            request_verification_enabled=False,
            # A request we missed is retried by Slack; dedup by event id keeps that safe.
            raise_error_for_unhandled_request=False,
            # Listeners run in the HTTP thread and their ack is answered when they return; they
            # hand slow work on as jobs themselves, so no ack ever waits behind it.
            process_before_response=True,
            **oauth,
        )

    app.deps, app.handoff = deps, handoff
    app.error(handle_error)
    register_listeners(app)
    _match_on_the_body(app)
    handoff.bind(app)
    return app


class _BodyMatcher(ListenerMatcher):
    """One of Bolt's own matchers (`func(body) -> bool`), handed the body directly.

    Bolt's `BuiltinListenerMatcher` builds every argument a listener could ask for (about 30)
    to pass its function the one it takes, for each listener tried until one matches: most of
    a click's ack, with aarbot's dozens of listeners.
    """

    def __init__(self, func: Callable[..., bool]) -> None:
        self.func = func

    def matches(self, req: BoltRequest, resp: BoltResponse) -> bool:
        return bool(self.func(body=req.body))


def _match_on_the_body(app: App) -> None:
    for listener in app._listeners:  # Bolt keeps them there, matchers and all
        listener.matchers = [
            _BodyMatcher(m.func)
            if type(m) is BuiltinListenerMatcher and m.arg_names == ["body"]
            else m
            for m in listener.matchers
        ]
