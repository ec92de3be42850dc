"""Stopping the HTTP server: no new connections, and a request in flight still gets its answer."""

from __future__ import annotations

import http.client
import os
import select
import threading
import time

from waitress import create_server

from bot.graceful import Drain


def _slow_app(started: threading.Event, release: threading.Event):
    def app(environ, start_response):
        started.set()
        release.wait(10)
        body = b'{"ok": true}'
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "12")])
        return [body]

    return app


def _refused(port: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
        except ConnectionRefusedError:
            return True
        time.sleep(0.02)
    return False


def _stopped_while_idle() -> tuple[Drain, threading.Thread]:
    """A server with nothing in flight, drained and shut down; its drain and its thread."""
    connections: dict[int, object] = {}
    server = create_server(
        _slow_app(threading.Event(), threading.Event()),
        map=connections,
        host="127.0.0.1",
        port=0,
        threads=1,
    )
    drain = Drain(connections, timeout=10)
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    drain.begin()
    runner.join(5)
    drain.close()
    server.task_dispatcher.shutdown()
    return drain, runner


def test_a_request_in_flight_is_answered_and_then_the_server_returns() -> None:
    started, release = threading.Event(), threading.Event()
    connections: dict[int, object] = {}
    server = create_server(
        _slow_app(started, release), map=connections, host="127.0.0.1", port=0, threads=2
    )
    port = server.effective_port
    drain = Drain(connections, timeout=10)
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    answers: list[tuple[int, bytes]] = []

    def ask() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/slack/events", body=b"x")
        reply = conn.getresponse()
        answers.append((reply.status, reply.read()))

    asker = threading.Thread(target=ask)
    asker.start()
    assert started.wait(5)
    drain.begin()  # as SIGTERM does, while the request is being handled
    assert _refused(port)  # the listening socket is closed: no new connections
    assert runner.is_alive()  # still serving the request in flight
    release.set()
    asker.join(10)
    runner.join(10)
    drain.close()
    server.task_dispatcher.shutdown()
    assert answers == [(200, b'{"ok": true}')]
    assert not runner.is_alive()


def test_an_idle_server_stops_at_once() -> None:
    _, runner = _stopped_while_idle()
    assert not runner.is_alive()


def test_asking_again_once_closed_does_nothing() -> None:
    drain, runner = _stopped_while_idle()
    # The wake-up pipe's numbers are free again: a new pipe most likely gets them.
    read_end, write_end = os.pipe()
    try:
        drain.begin()  # a second SIGTERM arriving now
        drain.begin()
        assert select.select([read_end], [], [], 0.1)[0] == []  # nothing written into it
    finally:
        os.close(read_end)
        os.close(write_end)
    assert not runner.is_alive()
