"""Logging set-up: readable text by default, one JSON object a line when asked.

Each Slack request gets a short id (`new_request_id`), kept in a context variable. Every log
line written while handling that request carries it, in the HTTP thread that acks and in the
worker that finishes the request after the ack (`bot.slack.listeners.session` copies the context
across), and the apology in `bot.slack.errors` quotes it, so a user's "reference …" finds its lines.
"""

from __future__ import annotations

import json
import logging
import random
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

_request_id: ContextVar[str | None] = ContextVar("aarbot_request_id", default=None)
NO_REQUEST = "-"
_ids = random.Random()  # noqa: S311 - request ids are labels, not secrets


def new_request_id() -> str:
    """Start a request: a fresh id for this context, returned."""
    # Not a secret, only unique enough to find a request's lines; random's generator does not
    # release the GIL the way os.urandom (behind secrets) does, which an ack under load feels.
    request_id = f"{_ids.getrandbits(40):010x}"
    _request_id.set(request_id)
    return request_id


def continue_request(request_id: str | None) -> str:
    """Carry on a request begun elsewhere (its work after the ack) under the same id."""
    if request_id is None:
        return new_request_id()
    _request_id.set(request_id)
    return request_id


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or NO_REQUEST
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "thread": record.threadName,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", NO_REQUEST)
        if request_id != NO_REQUEST:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure(*, level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Send logs to stderr (or `stream`) at `level`, as text or JSON."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Waitress logs every queue depth warning at WARNING; keep it, but not the chatty INFO.
    logging.getLogger("gunicorn.error").setLevel(max(logging.WARNING, root.level))
