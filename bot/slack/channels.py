"""conversations.info, cached briefly in the process, so a busy review asks Slack once.

Entries live TTL_SECONDS and the cache holds at most MAX_ENTRIES channels (the least recently
used go first): a `cachetools.TTLCache`. It is shared by every request and job thread, behind
one lock (cachetools' caches are not thread-safe); the Web API call itself is made outside the
lock. Keys include the token, so two workspaces never share an answer. A cached answer can only
be out of date for the app's own membership, so callers that act on membership re-ask when the
cache says "not a member" (see `posting.can_post_in`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache
from slack_sdk import WebClient

TTL_SECONDS = 300.0
MAX_ENTRIES = 2048


class ChannelCache:
    """A thread-safe, bounded TTL cache of conversations.info's `channel` object."""

    def __init__(
        self,
        *,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._entries: TTLCache[tuple[str, str], dict[str, Any]] = TTLCache(
            maxsize=max_entries, ttl=ttl, timer=clock
        )

    def cached(self, client: WebClient, channel_id: str) -> dict[str, Any] | None:
        """The cached answer if it is younger than the TTL, else None; never calls Slack."""
        with self._lock:
            return self._entries.get((client.token or "", channel_id))

    def info(self, client: WebClient, channel_id: str, *, fresh: bool = False) -> dict[str, Any]:
        """The channel as conversations.info describes it; `fresh` skips the cache.

        Slack's errors (channel_not_found, ratelimited after the client's retries…) raise
        SlackApiError as the call would, and are not cached.
        """
        if not fresh and (hit := self.cached(client, channel_id)) is not None:
            return hit
        channel = client.conversations_info(channel=channel_id)["channel"]
        with self._lock:
            self._entries[(client.token or "", channel_id)] = channel
        return channel

    def forget(self, channel_id: str) -> None:
        """Drop what is cached about a channel (the app joined or left it)."""
        with self._lock:
            for key in [k for k in self._entries if k[1] == channel_id]:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
