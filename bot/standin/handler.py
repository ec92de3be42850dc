"""HTTP plumbing for the stand-in: parse requests, hand them over, write JSON back."""

from __future__ import annotations

import contextlib
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from bot.standin.server import SlackStandIn

# slack_sdk sends these as JSON-encoded strings when it uses a form body.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")


class StandInServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its stand-in."""

    daemon_threads = True
    standin: SlackStandIn


class StandInHandler(BaseHTTPRequestHandler):
    """Routes /api/<method> and /response/<name> to the stand-in."""

    server: StandInServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: test output should show the app's logs, not ours."""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if len(raw) < length:
            # The caller died mid-request (a test killing the app): Slack would never see
            # this call, so neither does the stand-in.
            self.close_connection = True
            return
        standin = self.server.standin
        if url.path.startswith("/api/"):
            args = _parse_args(url.query, raw, self.headers.get("Content-Type", ""))
            method = url.path.removeprefix("/api/")
            answer = standin.answer_api(method, args, self.headers.get("Authorization"))
        elif url.path.startswith("/response/"):
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            answer = standin.answer_response(url.path.removeprefix("/response/"), body)
        else:
            answer = (404, {"ok": False, "error": "not_found"}, {})
        self._send(*answer)

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _parse_args(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type and text.strip():
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            args.update(parsed)
    elif "x-www-form-urlencoded" in content_type:
        args.update(parse_qsl(text, keep_blank_values=True))
    for key in _JSON_ARGS:
        value = args.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            # Malformed JSON stays a string; the block checks refuse it like Slack would.
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args
