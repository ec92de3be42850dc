"""The WebClient that speaks for a team in scheduled work (nudges, digests, time zones).

Requests need none of this: Bolt gives each listener a client with its team's token. Jobs run
outside any request, so they ask here: one workspace has the one bot token; a multi-workspace
install has each team's bot token in the installation store, looked up and kept briefly (a
`cachetools.TLRUCache`, since a token and a missing install are kept for different times).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TLRUCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy import Engine

from bot.runtime.settings import Settings

# A reinstall (a new token) reaches the jobs within this long.
TOKEN_TTL_SECONDS = 300.0
# A team without an install is asked about again after this long (an install reaches the jobs).
MISS_TTL_SECONDS = 60.0
# Teams kept at once; the least recently used is asked about again.
MAX_TEAMS = 4096
# Slack's answer when the token itself is dead (revoked, expired, its workspace or bot user
# deleted), whoever the call was about. The doctor says so; the jobs hold that team's work.
REJECTED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


class NotInstalledError(SlackClientError):
    """aarbot has no bot token for this team: never installed there, or uninstalled."""


class OneClient:
    """A single workspace: the same client, with SLACK_BOT_TOKEN, for every team."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def for_team(self, _team_id: str) -> WebClient:
        """The one client."""
        return self.client

    def forget(self, _team_id: str) -> None:
        """Nothing to forget: the one token is settings, read at start-up."""


@dataclass(frozen=True)
class _Cached:
    token: str | None  # None: the team has no install
    client: WebClient | None


class InstalledClients:
    """A multi-workspace install: each team's client carries that team's bot token."""

    def __init__(
        self,
        *,
        token_for: Callable[[str], str | None],
        make_client: Callable[[str], WebClient],
        ttl: float = TOKEN_TTL_SECONDS,
        miss_ttl: float = MISS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_for = token_for
        self._make_client = make_client

        def expires(_team_id: str, cached: _Cached, now: float) -> float:
            return now + (ttl if cached.client is not None else miss_ttl)

        self._cache: TLRUCache[str, _Cached] = TLRUCache(
            maxsize=MAX_TEAMS, ttu=expires, timer=clock
        )
        self._lock = threading.Lock()

    def for_team(self, team_id: str) -> WebClient:
        """The team's client; NotInstalledError when the store has no bot token for it."""
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is None:
            token = self._token_for(team_id)
            # A miss is kept too (briefly): a sweep through an uninstalled team's nudges, or
            # a digest of its channels, asks the store once, not once for each.
            cached = _Cached(token, self._make_client(token)) if token else _Cached(None, None)
            with self._lock:
                self._cache[team_id] = cached
        if cached.client is None:
            raise NotInstalledError(f"aarbot is not installed in team {team_id}")
        return cached.client

    def forget(self, team_id: str) -> None:
        """Drop what is kept for the team (Slack rejected its token): next time, ask the store."""
        with self._lock:
            self._cache.pop(team_id, None)


TeamClients = OneClient | InstalledClients


def team_clients(settings: Settings, engine: Engine) -> TeamClients:
    """The clients scheduled work uses, for this process's mode."""
    from bot.slack.app import build_client

    if not settings.oauth:
        return OneClient(build_client(settings))
    from bot.slack.install import installation_store, latest_bot_token

    store = installation_store(settings, engine)
    return InstalledClients(
        token_for=lambda team_id: latest_bot_token(store, team_id),
        make_client=lambda token: build_client(settings, token=token),
    )


def as_team_clients(client: WebClient | TeamClients) -> TeamClients:
    """A bare WebClient (tests, tools) stands for every team."""
    return OneClient(client) if isinstance(client, WebClient) else client
