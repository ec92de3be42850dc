"""conversations.info, cached briefly in the process, so a busy review asks Slack once.

Entries live TTL_SECONDS and the cache holds at most MAX_ENTRIES channels (the least recently
used go first). It is shared by every request and job thread, behind one lock; the Web API
call itself is made outside the lock. Keys include the token, so two workspaces never share
an answer. A cached answer can only be out of date for the app's own membership, so callers
that act on membership re-ask when the cache says "not a member" (see `posting.can_post_in`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

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
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()

    def cached(self, client: WebClient, channel_id: str) -> dict[str, Any] | None:
        """The cached answer if it is younger than the TTL, else None; never calls Slack."""
        key = (client.token or "", channel_id)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._clock() - entry[0] >= self._ttl:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def info(self, client: WebClient, channel_id: str, *, fresh: bool = False) -> dict[str, Any]:
        """The channel as conversations.info describes it; `fresh` skips the cache.

        Slack's errors (channel_not_found, ratelimited after the client's retries…) raise
        SlackApiError as the call would, and are not cached.
        """
        if not fresh and (hit := self.cached(client, channel_id)) is not None:
            return hit
        channel = client.conversations_info(channel=channel_id)["channel"]
        key = (client.token or "", channel_id)
        with self._lock:
            self._entries[key] = (self._clock(), channel)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return channel

    def forget(self, channel_id: str) -> None:
        """Drop what is cached about a channel (the app joined or left it)."""
        with self._lock:
            for key in [k for k in self._entries if k[1] == channel_id]:
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
