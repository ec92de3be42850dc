"""Text helpers: escaping user text for mrkdwn and trimming to Slack's limits."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape &, < and > so user text can't ping (<!channel>) or link (<http://x|y>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def count(n: int, noun: str) -> str:
    """ "1 answer", "2 answers"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str, limit: int) -> str:
    """User text on one line (its whitespace runs made single spaces), clipped, then escaped."""
    return escape(clip(" ".join(text.split()), limit))
