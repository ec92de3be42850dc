"""Signing requests the way Slack signs what it sends to an app."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_SHORT_NAMES = {"form": FORM, "json": JSON}


def sign_request(
    body: str, secret: str, timestamp: int | None = None, *, content_type: str = FORM
) -> dict[str, str]:
    """Headers Slack sends with a request: timestamp, v0 signature and content type."""
    stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": _SHORT_NAMES.get(content_type, content_type),
    }
