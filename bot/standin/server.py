"""SlackStandIn: a local HTTP stand-in for Slack's Web API and response_url endpoints."""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from bot.standin.faults import Faults
from bot.standin.handler import StandInHandler, StandInServer
from bot.standin.methods import METHODS
from bot.standin.oauth import oauth_v2_access
from bot.standin.responses import post_response
from bot.standin.state import (
    BOT_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    Call,
    Channel,
    ResponseTarget,
    Team,
    User,
    Violation,
    WorkspaceState,
)

_TOKEN_PREFIXES = ("xoxb-", "xoxp-")
# Arguments naming a user or channel, which must belong to the calling token's team.
_REFERENCES = {
    "channel": "channel_not_found",
    "user": "user_not_found",
    "user_id": "user_not_found",
    "users": "user_not_found",
}


class SlackStandIn:
    """A seeded Slack workspace served on 127.0.0.1 for tests and the demo."""

    def __init__(
        self,
        required_args_path: Path | None = None,
        block_checks: bool = True,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state = WorkspaceState()
        self.state.block_checks = block_checks
        self.required_args: dict[str, list[str]] = {}
        if required_args_path is not None:
            spec = json.loads(Path(required_args_path).read_text(encoding="utf-8"))
            self.required_args = spec["methods"]
        self.latency = 0.0
        self._host, self._port = host, port
        self.faults = Faults()
        self._after_call: list[Callable[[Call], None]] = []
        self._server: StandInServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a daemon thread."""
        self._server = StandInServer((self._host, self._port), StandInHandler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port actually bound (a free one when constructed with port 0)."""
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The Web API base URL to hand to WebClient(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/api/"

    # --- the workspace -------------------------------------------------------------

    @property
    def scopes(self) -> list[str]:
        """Scopes reported in the `x-oauth-scopes` header."""
        return self.state.scopes

    @scopes.setter
    def scopes(self, value: list[str]) -> None:
        self.state.scopes = list(value)

    def add_user(
        self,
        id: str,
        name: str,
        tz: str = "UTC",
        is_bot: bool = False,
        deleted: bool = False,
        team: str = TEAM_ID,
    ) -> User:
        """Add a user to the workspace (or to another team's)."""
        return self.state.add_user(id, name, tz=tz, is_bot=is_bot, deleted=deleted, team=team)

    def add_channel(
        self,
        id: str,
        name: str,
        is_private: bool = False,
        bot_member: bool = True,
        members: tuple[str, ...] | list[str] = (),
        team: str = TEAM_ID,
    ) -> Channel:
        """Add a channel to the workspace (or to another team's)."""
        return self.state.add_channel(
            id, name, is_private=is_private, bot_member=bot_member, members=members, team=team
        )

    # --- several workspaces and the OAuth install ------------------------------------

    def oauth_app(self, client_id: str, client_secret: str) -> None:
        """The app's credentials, which oauth.v2.access checks."""
        with self.state.lock:
            self.state.oauth_app = (client_id, client_secret)

    def add_team(
        self, id: str, name: str, *, bot_user_id: str | None = None, installer: str = "U0ALICE"
    ) -> Team:
        """A workspace with a bot token of its own; from now on only its token speaks for it.

        Registering the seeded team (T0001) too makes the stand-in strict: a token no team
        owns is refused with invalid_auth.
        """
        seeded = id == TEAM_ID
        team = Team(
            id=id,
            name=name,
            domain=TEAM_DOMAIN if seeded else name.lower().replace(" ", "-"),
            bot_token=f"xoxb-{id.lower()}-{secrets.token_hex(8)}",
            bot_user_id=bot_user_id or ("U0BOT" if seeded else f"U{id[1:]}BOT"),
            bot_id=BOT_ID if seeded else f"B{id[1:]}",
            installer_id=installer,
        )
        with self.state.lock:
            self.state.teams[id] = team
        return team

    def install_code(self, team_id: str) -> str:
        """The one-time code Slack hands the redirect once someone approves an install."""
        code = f"code-{team_id}-{secrets.token_hex(6)}"
        with self.state.lock:
            self.state.install_codes[code] = team_id
        return code

    def calls_of_team(self, team_id: str) -> list[Call]:
        """Calls made with that team's token, in order."""
        return [c for c in self.calls if c.team_id == team_id]

    def add_message(
        self, channel: str, user: str, text: str, thread_ts: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Store a message as if a person posted it; returns it with its new `ts`."""
        return self.state.add_message(channel, user, text, thread_ts=thread_ts, **fields)

    def response_url(
        self,
        name: str = "r1",
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url served here; channel/user/message_ts say what it answers."""
        with self.state.lock:
            self.state.response_targets[name] = ResponseTarget(channel, user, message_ts)
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # --- faults (bot/standin/faults.py) -------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with 429, 5xx, or an `ok: false` error."""
        self.faults.fail_next(method, status, retry_after, times, error)

    def heal(self, method: str) -> None:
        """Forget the faults still queued for `method`."""
        self.faults.heal(method)

    def delay(self, method: str, seconds: float | None) -> None:
        """Answer every call of `method` `seconds` late (None: at once)."""
        self.faults.delay(method, seconds)

    def after_call(self, hook: Callable[[Call], None] | None) -> None:
        """Call `hook(call)` once each Web API call is done, before its answer goes back
        (None removes the hooks): a test can kill its caller after Slack has acted on a call
        but before the caller hears of it."""
        if hook is None:
            self._after_call.clear()
        else:
            self._after_call.append(hook)

    def rate_limit(self, method: str, per_minute: int | None) -> None:
        """Limit `method` to `per_minute` calls in any 60 s window (None lifts the limit)."""
        self.faults.rate_limit(method, per_minute)

    # --- answering -----------------------------------------------------------------

    def answer_api(
        self, method: str, args: dict[str, Any], authorization: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one Web API call: status, JSON body, extra headers."""
        if self.latency:
            time.sleep(self.latency)
        self.faults.wait(method)
        token = args.pop("token", None)
        if authorization and authorization.startswith("Bearer "):
            token = authorization.removeprefix("Bearer ").strip()
        headers = {"x-oauth-scopes": ",".join(self.state.scopes)}
        status, body, team_id = 200, None, None
        team = self.state.team_for_token(str(token)) if token else None
        if method not in METHODS and method != "oauth.v2.access":
            body = {"ok": False, "error": "unknown_method"}
        elif (fault := self.faults.answer_for(method)) is not None:
            status, body, fault_headers = fault
            headers |= fault_headers
        elif (refused := self._missing_args(method, args)) is not None:
            body = refused
        elif method == "oauth.v2.access":
            # The one method that takes the app's client id and secret instead of a token.
            with self.state.lock:
                body, team_id = oauth_v2_access(self.state, args, authorization)
        elif not token:
            body = {"ok": False, "error": "not_authed"}
        elif not str(token).startswith(_TOKEN_PREFIXES) or team is None:
            body = {"ok": False, "error": "invalid_auth"}
        elif (refused := self._other_team(method, args, team)) is not None:
            body, team_id = refused, team.id
        else:
            team_id = team.id
            with self.state.lock:
                self.state.caller = team
                body = METHODS[method](self.state, args)
        call = Call(
            method, copy.deepcopy(args), body["ok"], body.get("error"), status, token, team_id
        )
        self.state.record(call)
        for hook in list(self._after_call):
            hook(call)
        return status, body, headers

    def _missing_args(self, method: str, args: dict[str, Any]) -> dict[str, Any] | None:
        missing = [
            name
            for name in self.required_args.get(method, [])
            if name != "token" and args.get(name) in (None, "")
        ]
        for name in missing:
            self.state.violate(method, f"missing required argument {name!r}")
        return {"ok": False, "error": "invalid_arguments"} if missing else None

    def _other_team(self, method: str, args: dict[str, Any], team: Team) -> dict[str, Any] | None:
        """Slack's error when a call names another team's user or channel (a violation too)."""
        for key, code in _REFERENCES.items():
            for ref in str(args.get(key) or "").split(","):
                owner = self.state.team_of(ref.strip())
                if owner is not None and owner != team.id:
                    self.state.violate(method, f"{team.id}'s token used on {ref} of team {owner}")
                    return {"ok": False, "error": code}
        return None

    def answer_response(self, name: str, body: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer a POST to a response_url."""
        self.faults.wait("response_url")
        fault = self.faults.answer_for("response_url")
        if fault is not None:
            return fault
        status, answer = post_response(self.state, name, body)
        return status, answer, {}

    # --- what happened -------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every Web API call answered, in order."""
        with self.state.lock:
            return list(self.state.calls)

    def calls_to(self, method: str) -> list[Call]:
        """Calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        """Forget recorded calls (the workspace itself is kept)."""
        with self.state.lock:
            self.state.calls.clear()

    @property
    def violations(self) -> list[Violation]:
        """Requests Slack would have refused."""
        with self.state.lock:
            return list(self.state.violations)

    def assert_clean(self) -> None:
        """Raise AssertionError listing every recorded violation."""
        found = self.violations
        if found:
            lines = "\n".join(f"  {v}" for v in found)
            raise AssertionError(f"{len(found)} Slack API violation(s):\n{lines}")

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Posts to response_urls: name, body (as sent), response_type (as applied), ok, error."""
        with self.state.lock:
            return copy.deepcopy(self.state.responses)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in a channel (or a user's DM), oldest first, replies included."""
        return self.state.channel_messages(channel)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread: parent then replies."""
        return self.state.thread(channel, ts)

    def ephemerals(self, user: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages (chat.postEphemeral and response_url), optionally for one user."""
        return self.state.ephemeral_messages(user)

    def dm(self, user: str) -> list[dict[str, Any]]:
        """Messages in the bot's DM with a user."""
        with self.state.lock:
            return copy.deepcopy(self.state.messages.get("D" + user[1:], []))

    def home(self, user: str) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self.state.lock:
            return copy.deepcopy(self.state.homes.get(user))

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Every modal opened or pushed, by view id."""
        with self.state.lock:
            return copy.deepcopy(self.state.views)

    def view_opened_by(self, trigger_id: str) -> dict[str, Any] | None:
        """The modal a trigger opened (views.open or views.push), or None."""
        with self.state.lock:
            view_id = self.state.view_triggers.get(trigger_id)
            return copy.deepcopy(self.state.views[view_id]) if view_id else None

    @property
    def open_views(self) -> list[dict[str, Any]]:
        """Modals in the order they were opened (the stand-in never sees them close)."""
        return list(self.views.values())
