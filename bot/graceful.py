"""Stopping the HTTP server gently: no new connections, in-flight requests answered, then out.

Waitress stops dead on SystemExit: its event loop, which is what writes responses back, ends
at once, so a request being handled then never gets its answer. Instead, on SIGTERM the
listening sockets are closed (the load balancer's next connection goes to another replica),
idle keep-alive connections are closed, and the loop keeps running until every request that
had arrived has been answered and sent, or DRAIN_SECONDS have passed. Everything that touches
waitress's connections runs in its own loop thread, through its trigger.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

log = logging.getLogger("aarbot.server")

# Within Kubernetes' default 30 s grace period, leaving time for the worker pool to drain.
DRAIN_SECONDS = 20.0
_CHECK_EVERY = 0.05


class Drain:
    """Drains the waitress server whose socket map is `connections`."""

    def __init__(self, connections: dict[int, Any], *, timeout: float = DRAIN_SECONDS) -> None:
        self._map = connections
        self._timeout = timeout
        self._started = threading.Event()
        self._finished = threading.Event()
        self._servers = [s for s in connections.values() if isinstance(s, BaseWSGIServer)]
        self._triggers = [s.trigger for s in self._servers]
        self._watcher: threading.Thread | None = None
        # Guards the triggers' pipes: no pull once close() has closed them. Reentrant, as a
        # signal handler may call begin() in a thread that is already pulling.
        self._lock = threading.RLock()
        self._closed = False

    @property
    def started(self) -> bool:
        """Whether a stop was asked for."""
        return self._started.is_set()

    def begin(self, *_signal: object) -> None:
        """Stop taking connections and start draining (a signal handler, or any thread).

        Once the server's loop has ended there is nothing left to drain: then it does nothing.
        """
        if self._finished.is_set():
            return
        if self._started.is_set():
            log.warning("asked to stop again: closing every connection now")
            self._pull(self._close_all)
            return
        self._started.set()
        self._pull(self._stop_listening)
        self._watcher = threading.Thread(target=self._watch, name="aarbot-drain", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        """Once the server's loop has ended: stop watching and release the loop's wake-up pipe."""
        self._finished.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._lock:
            self._closed = True
            for trigger in self._triggers:
                trigger.close()

    def _pull(self, thunk: Any) -> None:
        # Runs `thunk` in waitress's loop thread. The trigger's pipe stays open until close(),
        # and no pull follows close(), so none can write into a file descriptor reused since.
        with self._lock:
            if not self._closed:
                self._triggers[0].pull_trigger(thunk)

    def _stop_listening(self) -> None:
        for server in self._servers:
            server.accepting = False
            wasyncore.dispatcher.close(server)  # its listening socket; its trigger stays
        log.info("stopped taking connections; answering the requests in flight")

    def _watch(self) -> None:
        deadline = time.monotonic() + self._timeout
        while not self._finished.wait(_CHECK_EVERY):
            if time.monotonic() > deadline:
                log.warning("requests still in flight after %.0f s: closing them", self._timeout)
                self._pull(self._close_all)
                return
            self._pull(self._close_idle)

    def _close_idle(self) -> None:
        busy = False
        for dispatcher in list(self._map.values()):
            if not isinstance(dispatcher, HTTPChannel):
                continue
            if dispatcher.requests or dispatcher.total_outbufs_len:
                busy = True
            else:
                # Idle keep-alive connection: the loop closes it on its next pass. It reads
                # nothing more first, so no new request starts on it.
                dispatcher.will_close = True
        if not busy and not any(isinstance(d, HTTPChannel) for d in self._map.values()):
            self._close_all()

    def _close_all(self) -> None:
        # An empty socket map ends waitress's loop, and with it server.run().
        self._finished.set()
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, HTTPChannel):
                dispatcher.handle_close()
            elif dispatcher in self._servers:
                wasyncore.dispatcher.close(dispatcher)
        for trigger in self._triggers:
            trigger.del_channel()  # out of the loop, its pipe still open (see close())
        self._map.clear()
