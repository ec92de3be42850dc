"""Faults the stand-in plays on request: errors, rate limits and slow answers, per method."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any

Answer = tuple[int, dict[str, Any], dict[str, str]]


class Faults:
    """What to answer a method's next calls with instead of the normal answer, and how late."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, deque[dict[str, Any]]] = {}
        self._limits: dict[str, tuple[int, deque[float]]] = {}
        self._delays: dict[str, float] = {}

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with 429, 5xx, or an `ok: false` error."""
        fault = {"status": status, "retry_after": retry_after, "error": error}
        with self._lock:
            self._queued.setdefault(method, deque()).extend(dict(fault) for _ in range(times))

    def heal(self, method: str) -> None:
        """Forget the faults still queued for `method`: Slack answers it normally again."""
        with self._lock:
            self._queued.pop(method, None)

    def delay(self, method: str, seconds: float | None) -> None:
        """Answer every call of `method` ("response_url" for those) `seconds` late; None: at once.

        The call is recorded when it is answered, so a test can tell work that waited for
        the answer from work that did not.
        """
        with self._lock:
            if seconds is None:
                self._delays.pop(method, None)
            else:
                self._delays[method] = seconds

    def rate_limit(self, method: str, per_minute: int | None) -> None:
        """Limit `method` to `per_minute` calls in any 60 s window (None lifts the limit)."""
        with self._lock:
            if per_minute is None:
                self._limits.pop(method, None)
            else:
                self._limits[method] = (per_minute, deque())

    def wait(self, method: str) -> None:
        """Sleep as long as `method` was asked to be late."""
        with self._lock:
            seconds = self._delays.get(method, 0.0)
        if seconds:
            time.sleep(seconds)

    def answer_for(self, method: str) -> Answer | None:
        """The fault to answer this call with (it is used up), or None to answer normally."""
        with self._lock:
            queue = self._queued.get(method)
            if queue:
                fault = queue.popleft()
                return _fault_answer(fault["status"], fault["retry_after"], fault["error"])
            limit = self._limits.get(method)
            if limit is None:
                return None
            per_minute, sent = limit
            now = time.monotonic()
            while sent and now - sent[0] >= 60:
                sent.popleft()
            if len(sent) >= per_minute:
                return _fault_answer(429, math.ceil(60 - (now - sent[0])), None)
            sent.append(now)
            return None


def _fault_answer(status: int, retry_after: int, error: str | None) -> Answer:
    if status == 429:
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
    if status >= 500:
        return status, {"ok": False, "error": "internal_error"}, {}
    return status, {"ok": False, "error": error or "fatal_error"}, {}
