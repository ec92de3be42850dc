"""The stand-in's workspace: users, channels, messages, views and recorded calls."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0001"
TEAM_NAME = "aarbot-demo"
TEAM_DOMAIN = "aarbot-demo"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0001"
APP_ID = "A0001"
# Slack's ts values look like epoch seconds with six digits after the dot.
_TS_BASE_MICROS = 1_700_000_000_000_000


@dataclass(frozen=True)
class Call:
    """One Web API call the stand-in answered."""

    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None = None
    status: int = 200
    token: str | None = None  # the token the call was made with
    team_id: str | None = None  # the team that token belongs to


@dataclass(frozen=True)
class Team:
    """A workspace the app is installed in; a call's bot token says which team it is for."""

    id: str
    name: str
    domain: str
    bot_token: str | None = None  # None: any xoxb-/xoxp- token stands for this team
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    installer_id: str = "U0ALICE"


@dataclass(frozen=True)
class Violation:
    """A request Slack would have refused (bad blocks, missing arguments)."""

    method: str
    reason: str

    def __str__(self) -> str:
        """Render as `method: reason`."""
        return f"{self.method}: {self.reason}"


@dataclass
class User:
    """A workspace member as users.info describes it."""

    id: str
    name: str
    tz: str = "UTC"
    is_bot: bool = False
    deleted: bool = False
    bot_id: str | None = None
    team: str = TEAM_ID

    @property
    def real_name(self) -> str:
        """The display-friendly name (capitalised handle)."""
        return self.name.replace(".", " ").title()


@dataclass
class Channel:
    """A conversation: public or private channel, or the bot's DM with one user."""

    id: str
    name: str
    is_private: bool = False
    members: set[str] = field(default_factory=set)
    im_user: str | None = None
    team: str = TEAM_ID

    @property
    def is_im(self) -> bool:
        """True for a direct message with one user."""
        return self.im_user is not None


@dataclass
class ResponseTarget:
    """What a response_url points back to: who clicked where, on which message."""

    channel: str | None = None
    user: str | None = None
    message_ts: str | None = None


class WorkspaceState:
    """Everything the stand-in knows; every access goes through `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_triggers: dict[str, str] = {}  # trigger id -> the view it opened
        # Trigger ids that opened a modal: Slack takes each once (then exchanged_trigger_id).
        self.used_triggers: set[str] = set()
        self.homes: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.violations: list[Violation] = []
        self.responses: list[dict[str, Any]] = []
        self.response_targets: dict[str, ResponseTarget] = {}
        # Teams by id; the seeded one takes any token until it is given one of its own.
        self.teams: dict[str, Team] = {TEAM_ID: Team(TEAM_ID, TEAM_NAME, TEAM_DOMAIN)}
        self.caller: Team = self.teams[TEAM_ID]  # whose token the current call carries
        self.oauth_app: tuple[str, str] | None = None  # client id and secret
        self.install_codes: dict[str, str] = {}  # one-time OAuth code -> team id
        self.block_checks = True
        self.scopes: list[str] = [
            "app_mentions:read",
            "channels:history",
            "channels:join",
            "channels:read",
            "chat:write",
            "commands",
            "groups:history",
            "groups:read",
            "im:history",
            "im:write",
            "users:read",
        ]
        self._ts_counter = 0
        self._id_counter = 0
        self._seed()

    def _seed(self) -> None:
        self.add_user(BOT_USER_ID, "aarbot", tz="America/Los_Angeles", is_bot=True)
        self.users[BOT_USER_ID].bot_id = BOT_ID
        self.add_user("U0ALICE", "alice", tz="Europe/Berlin")
        self.add_user("U0BOB", "bob", tz="America/New_York")
        self.add_user("U0CAROL", "carol", tz="Asia/Tokyo")
        self.add_user("U0DEACT", "dave.deactivated", deleted=True)
        self.add_user("U0OTHERBOT", "otherbot", tz="America/Los_Angeles", is_bot=True)
        self.users["U0OTHERBOT"].bot_id = "B0OTHER"
        humans = ("U0ALICE", "U0BOB", "U0CAROL")
        self.add_channel("C0GENERAL", "general", members=humans)
        self.add_channel("C0OPS", "ops", bot_member=False, members=("U0ALICE", "U0BOB"))
        self.add_channel(
            "G0SECRET", "secret", is_private=True, bot_member=False, members=("U0ALICE", "U0CAROL")
        )
        self.add_channel("C0LESSONS", "lessons", members=("U0ALICE",))

    # --- building the workspace -------------------------------------------------

    def add_user(
        self,
        id: str,
        name: str,
        tz: str = "UTC",
        is_bot: bool = False,
        deleted: bool = False,
        team: str = TEAM_ID,
    ) -> User:
        """Add (or replace) a user; active humans join #general like in a real workspace."""
        with self.lock:
            user = User(id=id, name=name, tz=tz, is_bot=is_bot, deleted=deleted, team=team)
            self.users[id] = user
            general = self.channels.get("C0GENERAL")
            if general is not None and not is_bot and not deleted and team == general.team:
                general.members.add(id)
            return user

    def add_channel(
        self,
        id: str,
        name: str,
        is_private: bool = False,
        bot_member: bool = True,
        members: tuple[str, ...] | list[str] = (),
        team: str = TEAM_ID,
    ) -> Channel:
        """Add (or replace) a channel, optionally with the bot as a member."""
        with self.lock:
            channel = Channel(
                id=id, name=name, is_private=is_private, members=set(members), team=team
            )
            if bot_member:
                channel.members.add(BOT_USER_ID)
            self.channels[id] = channel
            self.messages.setdefault(id, [])
            return channel

    def dm_channel(self, user_id: str) -> Channel:
        """The bot's DM with a user; ids are stable so tests can predict them."""
        with self.lock:
            channel_id = "D" + user_id[1:]
            channel = self.channels.get(channel_id)
            if channel is None:
                channel = Channel(
                    id=channel_id,
                    name=channel_id,
                    members={BOT_USER_ID, user_id},
                    im_user=user_id,
                    team=self.users[user_id].team if user_id in self.users else TEAM_ID,
                )
                self.channels[channel_id] = channel
                self.messages.setdefault(channel_id, [])
            return channel

    def resolve_channel(self, ref: str) -> Channel | None:
        """Find a channel by id, `#name`, or a user id (meaning the DM with that user)."""
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            if ref.startswith(("U", "W")) and ref in self.users:
                return self.dm_channel(ref)
            if ref.startswith("D") and ("U" + ref[1:]) in self.users:
                return self.dm_channel("U" + ref[1:])
            name = ref.removeprefix("#")
            return next((c for c in self.channels.values() if c.name == name), None)

    # --- teams -----------------------------------------------------------------

    def team_for_token(self, token: str) -> Team | None:
        """The team a token belongs to; None when no team would accept it."""
        with self.lock:
            for team in self.teams.values():
                if team.bot_token == token:
                    return team
            seeded = self.teams[TEAM_ID]
            return seeded if seeded.bot_token is None else None

    def team_of(self, ref: str) -> str | None:
        """The team a user or channel id (or a user's DM id) belongs to, if the id is known."""
        with self.lock:
            if ref in self.users:
                return self.users[ref].team
            if ref in self.channels:
                return self.channels[ref].team
            if ref.startswith("D") and ("U" + ref[1:]) in self.users:
                return self.users["U" + ref[1:]].team
            return None

    # --- ids -------------------------------------------------------------------

    def next_ts(self) -> str:
        """A unique, increasing message timestamp like `1700000000.000100`."""
        with self.lock:
            self._ts_counter += 1
            micros = _TS_BASE_MICROS + self._ts_counter * 100
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """A unique Slack-looking id such as `V0000000001`."""
        with self.lock:
            self._id_counter += 1
            return f"{prefix}{self._id_counter:010d}"

    # --- messages --------------------------------------------------------------

    def find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """The stored message with this ts in this channel, if any."""
        with self.lock:
            return next((m for m in self.messages.get(channel_id, []) if m["ts"] == ts), None)

    def add_message(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a message (a human's, to mirror an event, or the bot's) and return a copy."""
        with self.lock:
            found = self.resolve_channel(channel)
            if found is None:
                raise KeyError(f"unknown channel {channel!r}")
            message: dict[str, Any] = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": self.next_ts(),
                "team": found.team,
            }
            sender = self.users.get(user)
            if sender is not None and sender.bot_id:
                message["bot_id"] = sender.bot_id
                message["app_id"] = APP_ID if user == BOT_USER_ID else "A0OTHER"
            message.update({k: v for k, v in fields.items() if v is not None})
            if thread_ts:
                message["thread_ts"] = thread_ts
                self._note_reply(found.id, thread_ts, user, message["ts"])
            self.messages[found.id].append(message)
            return copy.deepcopy(message) | {"channel": found.id}

    def _note_reply(self, channel_id: str, thread_ts: str, user: str, ts: str) -> None:
        # Slack keeps thread bookkeeping on the parent; conversations.history shows it.
        parent = self.find_message(channel_id, thread_ts)
        if parent is None:
            return
        parent["thread_ts"] = thread_ts
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        users = parent.setdefault("reply_users", [])
        if user not in users:
            users.append(user)
        parent["reply_users_count"] = len(users)
        parent["latest_reply"] = ts

    # --- read helpers (copies, so callers never race the server) -----------------

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """All messages in a channel (top level and replies), oldest first."""
        with self.lock:
            found = self.resolve_channel(channel)
            if found is None:
                return []
            return copy.deepcopy(self.messages.get(found.id, []))

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread's parent followed by its replies."""
        return [
            m for m in self.channel_messages(channel) if m["ts"] == ts or m.get("thread_ts") == ts
        ]

    def ephemeral_messages(self, user: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages, optionally only those shown to one user."""
        with self.lock:
            return copy.deepcopy([e for e in self.ephemerals if user in (None, e["user"])])

    def record(self, call: Call) -> None:
        """Append a call to the log."""
        with self.lock:
            self.calls.append(call)

    def violate(self, method: str, reason: str) -> None:
        """Append a violation to the log."""
        with self.lock:
            self.violations.append(Violation(method, reason))
