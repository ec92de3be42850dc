"""Signing requests the way Slack signs what it sends to an app."""

from __future__ import annotations

import hashlib
import hmac
import time

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_SHORT_NAMES = {"form": FORM, "json": JSON}


def sign_request(
    body: str, secret: str, timestamp: int | None = None, *, content_type: str = FORM
) -> dict[str, str]:
    """Headers Slack sends with a request: timestamp, v0 signature and content type."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{stamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": _SHORT_NAMES.get(content_type, content_type),
    }
