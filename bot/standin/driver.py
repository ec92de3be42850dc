"""Drives the real WSGI app (Bolt inside) with signed requests, as Slack would: tests and demo."""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.jobs.workers import drain
from bot.runtime.deps import Deps
from bot.runtime.web import make_wsgi_app
from bot.slack.app import build_app
from bot.standin import payloads
from bot.standin.server import SlackStandIn
from bot.standin.signing import sign_request
from bot.standin.state import TEAM_ID


class TrackingExecutor(ThreadPoolExecutor):
    """A listener pool whose outstanding work a test can wait for."""

    def __init__(self) -> None:
        super().__init__(max_workers=4, thread_name_prefix="test-listener")
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Block until every submitted listener has finished (and any it submitted)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(pending)} listener(s) still running after {timeout}s")
            time.sleep(0.005)


@dataclass
class Response:
    """What the WSGI app answered."""

    status: int
    headers: dict[str, str]
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body) if self.body else None


@dataclass
class Bot:
    """The real app on a real database, talking to the stand-in."""

    deps: Deps
    standin: SlackStandIn
    secret: str
    executor: TrackingExecutor = field(default_factory=TrackingExecutor)

    def __post_init__(self) -> None:
        self.app = build_app(self.deps, listener_executor=self.executor)
        self.wsgi = make_wsgi_app(
            bolt_app=self.app,
            engine=self.deps.engine,
            signing_secret=self.deps.settings.slack_signing_secret,
            max_job_age=self.deps.settings.ready_max_job_age,
        )
        self._responses = 0

    def request(
        self,
        method: str,
        path: str,
        body: str = "",
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> Response:
        """Call the WSGI app in-process with the given raw request."""
        data = body.encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "3000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)),
        }
        for name, value in (headers or {}).items():
            key = name.upper().replace("-", "_")
            environ[key if key in {"CONTENT_TYPE"} else f"HTTP_{key}"] = value
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
            captured["status"] = int(status.split(maxsplit=1)[0])
            captured["headers"] = {k.lower(): v for k, v in response_headers}

        chunks = self.wsgi(environ, start_response)
        payload = b"".join(chunks)
        return Response(captured["status"], captured["headers"], payload)

    def sign(self, body: str, *, timestamp: int | None = None, json_body: bool = False):
        """Slack's signature headers for this body."""
        content_type = "application/json" if json_body else "application/x-www-form-urlencoded"
        return sign_request(body, self.secret, timestamp=timestamp, content_type=content_type)

    def post_signed(
        self, body: str, *, json_body: bool = False, timestamp: int | None = None, **extra: str
    ) -> Response:
        """POST to /slack/events with a valid Slack signature."""
        headers = self.sign(body, timestamp=timestamp, json_body=json_body)
        headers.update(extra)
        return self.request("POST", "/slack/events", body, headers)

    def command(
        self,
        text: str = "",
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        team: str = TEAM_ID,
    ) -> Response:
        """Type `/aar <text>` in a channel; waits for the listener to finish."""
        self._responses += 1
        body = payloads.slash_command(
            text=text,
            user_id=user,
            channel_id=channel,
            team_id=team,
            response_url=self.standin.response_url(f"cmd{self._responses}"),
            trigger_id=payloads.new_trigger_id(),
        )
        response = self.post_signed(body)
        self.settle()
        return response

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        team: str = TEAM_ID,
        **headers: str,
    ):
        """Deliver an Events API event; waits for the listener to finish."""
        response = self.post_signed(
            payloads.event_callback(event, event_id=event_id, team_id=team),
            json_body=True,
            **headers,
        )
        self.settle()
        return response

    def settle(self) -> None:
        """Wait until the work after each ack is done: the modals opened after it (Bolt's
        lazy listeners) and the jobs in the outbox, which run here, in this thread."""
        while True:
            self.executor.wait_idle()
            if not drain(self.deps):
                self.executor.wait_idle()
                if not drain(self.deps):
                    return

    def _response_url(self, user: str, channel: str | None) -> str:
        self._responses += 1
        return self.standin.response_url(f"r{self._responses}", channel=channel, user=user)

    def click(
        self,
        action_id: str,
        *,
        value: str | None = None,
        user: str = "U0ALICE",
        channel: str | None = None,
        message_ts: str | None = None,
        selected_option: str | None = None,
        block_id: str = "b",
        team: str = TEAM_ID,
        ephemeral: bool = False,
    ) -> Response:
        """Click a button (or pick an option) in a message; waits for the listener."""
        option = {"value": selected_option, "text": {"type": "plain_text", "text": "x"}}
        body = payloads.block_actions(
            team_id=team,
            user_id=user,
            action_id=action_id,
            value=value,
            block_id=block_id,
            channel_id=channel,
            message_ts=message_ts,
            selected_option=option if selected_option else None,
            trigger_id=payloads.new_trigger_id(),
            response_url=self._response_url(user, channel),
            ephemeral=ephemeral,
        )
        response = self.post_signed(body)
        self.settle()
        return response

    def submit(
        self,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        user: str = "U0ALICE",
        team: str = TEAM_ID,
    ) -> Response:
        """Submit an opened modal with these state.values; waits for the listener."""
        body = payloads.view_submission(
            team_id=team,
            user_id=user,
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view.get("private_metadata", ""),
            view_id=view.get("id"),
            blocks=view.get("blocks"),  # Slack sends the submitted view's blocks too
        )
        response = self.post_signed(body)
        self.settle()
        return response

    def reply(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        thread_ts: str,
        event_id: str | None = None,
        team: str = TEAM_ID,
    ) -> dict[str, Any]:
        """A person replies in a thread: the message lands in Slack, then its event reaches us."""
        message = self.standin.add_message(channel, user, text, thread_ts=thread_ts)
        event = payloads.message_event(
            channel=channel, user=user, text=text, ts=message["ts"], thread_ts=thread_ts, team=team
        )
        self.event(event, event_id=event_id, team=team)
        return message

    def install(self, team: str) -> Response:
        """Install the app in a team as a person would: the install page, Slack, the redirect.

        The stand-in plays Slack's part: it approves at once and hands back a one-time code.
        Returns the redirect's answer (the success or failure page).
        """
        page = self.request("GET", "/slack/install")
        if page.status != 200:
            raise AssertionError(f"install page answered {page.status}: {page.body[:200]!r}")
        link = re.search(rb'<a href="([^"]+)"', page.body)
        if link is None:
            raise AssertionError("the install page has no link to Slack")
        state = parse_qs(urlsplit(html.unescape(link[1].decode())).query)["state"][0]
        cookie = page.headers["set-cookie"].split(";", 1)[0]
        query = urlencode({"code": self.standin.install_code(team), "state": state})
        return self.request("GET", "/slack/oauth_redirect", headers={"Cookie": cookie}, query=query)

    def last_view(self) -> dict[str, Any]:
        """The modal most recently opened by the app."""
        views = self.standin.open_views
        if not views:
            raise AssertionError("the app opened no modal")
        return views[-1]
