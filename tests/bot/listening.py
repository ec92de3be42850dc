"""A second local server that records what reaches it: the response_url an attacker names."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTILE_MARK = "hostile-marker-7f3a"


class _Recorder(BaseHTTPRequestHandler):
    heard: list[str]

    def do_POST(self) -> None:
        self.heard.append(self.path)
        self.send_response(200)
        self.end_headers()

    do_GET = do_POST  # noqa: N815 - the name http.server calls

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def hostile_server() -> Iterator[tuple[str, list[str]]]:
    """Its URL (with HOSTILE_MARK in the path) and the paths of every request it heard."""
    heard: list[str] = []
    handler = type("Recorder", (_Recorder,), {"heard": heard})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook/{HOSTILE_MARK}", heard
    finally:
        server.shutdown()
        server.server_close()
