"""Writer turns on SQLite: the threads of one process queue for the write lock in Python.

SQLite lets one connection write at a time. A connection that finds the lock taken sleeps in
SQLite's busy handler, in growing steps (up to 100 ms), however soon the lock is free again:
under load an ack waits far longer than the write it waits for. So the threads of a process
take turns here first, and hand the lock over the moment a transaction ends. Requests go
before background work (the outbox workers mark their threads `background()`), so an ack
never queues behind a row of jobs. Other processes on the same file still meet on SQLite's
own lock and busy timeout.
"""

from __future__ import annotations

import threading
import time

# Longer than any transaction should take; then the waiter gives up with an error.
WAIT_SECONDS = 30.0

_local = threading.local()


def background() -> None:
    """Mark this thread's transactions as background work, which lets requests go first."""
    _local.background = True


class Turns:
    """One writer at a time among this process's threads, requests first; reentrant."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._requests_waiting = 0

    def acquire(self) -> None:
        """Wait for this thread's turn to write."""
        me = threading.get_ident()
        low = getattr(_local, "background", False)
        deadline = time.monotonic() + WAIT_SECONDS
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            if not low:
                self._requests_waiting += 1
            try:
                while self._owner is not None or (low and self._requests_waiting):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("waited too long for a turn to write to the database")
                    self._cond.wait(left)
            finally:
                if not low:
                    self._requests_waiting -= 1
            self._owner, self._depth = me, 1

    def release(self) -> None:
        """This thread's transaction ended."""
        with self._cond:
            if self._owner != threading.get_ident():
                return
            self._depth -= 1
            if not self._depth:
                self._owner = None
                self._cond.notify_all()
