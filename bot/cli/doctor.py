"""`aarbot doctor`: check settings, database, token, scopes and lessons channel; say how to fix.

In a multi-workspace install (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set) there is no one
token: the doctor checks each installed workspace's bot token and scopes instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dotenv import dotenv_values

from bot.cli.support import missing_sqlite_file
from bot.runtime.settings import Settings, SettingsError, load_settings
from bot.slack.scopes import INSTALL_PATH, REQUIRED_SCOPES

_COPY_FROM_SLACK = (
    "copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page "
    "into SLACK_BOT_TOKEN"
)


@dataclass(frozen=True)
class Finding:
    """One checked thing: fine (fix is None) or not, with how to fix it."""

    what: str
    fix: str | None = None

    def line(self) -> str:
        """`ok  <what>` or `fix <what>: <how>`."""
        return f"ok  {self.what}" if self.fix is None else f"fix {self.what}: {self.fix}"


@dataclass
class _Install:
    team: str  # "name (T0123)"
    token: str
    auth: Any  # its auth.test response


@dataclass
class _Context:
    settings: Settings
    bad: dict[str, SettingsError]  # by the name of the setting
    auth: Any = None  # the auth.test response once the token works
    installs: list[_Install] = field(default_factory=list)  # multi-workspace: working ones


def run_doctor(*, out: TextIO, environ: Mapping[str, str] | None = None) -> int:
    """Print one line per check; 0 when all are ok, 1 when anything needs a fix."""
    needs_fix = False

    def report(findings: list[Finding]) -> None:
        nonlocal needs_fix
        for finding in findings:
            # Line by line, so a slow database or Slack shows where the doctor is waiting.
            print(finding.line(), file=out, flush=True)
            needs_fix = needs_fix or finding.fix is not None

    settings, errors = _load(dict(os.environ if environ is None else environ))
    report([Finding("settings", str(err)) for err in errors])
    context = None if settings is None else _Context(settings, {err.name: err for err in errors})
    if settings is not None:
        report(_guarded("settings", lambda: _settings(settings, errors)))
    for what, check in (
        ("database", _database),
        ("token", _token),
        ("scopes", _scopes),
        ("lessons channel", _lessons_channel),
    ):
        if context is None:
            report([Finding(what, "fix the settings above first")])
        else:
            report(_guarded(what, lambda check=check: check(context)))
    return 1 if needs_fix else 0


def _guarded(what: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    # A doctor that crashes is no help: anything unexpected becomes a finding too.
    try:
        return check()
    except Exception as exc:
        return [Finding(what, f"unexpected {type(exc).__name__}: {_first_line(exc)}")]


def _load(values: dict[str, str]) -> tuple[Settings | None, list[SettingsError]]:
    """Settings with every malformed one dropped (back to its default), and what was wrong."""
    dotenv = Path.cwd() / ".env"
    if dotenv.is_file():
        values = {k: v for k, v in dotenv_values(dotenv).items() if v is not None} | values
    errors: list[SettingsError] = []
    while True:
        try:
            return load_settings(values, dotenv_path=Path(os.devnull)), errors
        except SettingsError as err:
            errors.append(err)
            if err.name not in values:
                return None, errors
            del values[err.name]


def _settings(settings: Settings, errors: list[SettingsError]) -> list[Finding]:
    # The bot token has a check of its own; the signing secret is what else `aarbot run` needs.
    if not settings.slack_signing_secret:
        fix = (
            "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
            "Basic Information page into the environment or .env"
        )
        return [Finding("settings", fix)]
    return [] if errors else [Finding("settings")]


def _database(context: _Context) -> list[Finding]:
    from storage.db import current_revision, head_revision, make_engine, ping

    if "DATABASE_URL" in context.bad:
        return [Finding("database", "fix DATABASE_URL first")]
    engine = make_engine(context.settings.database_url)
    try:
        where = engine.url.render_as_string()
        if missing_sqlite_file(engine):
            # Connecting would create an empty file; a check must not leave one behind.
            return [Finding("database", f"no database yet at {where}; run aarbot db upgrade")]
        problem = ping(engine)
        if problem:
            return [
                Finding(
                    "database",
                    f"cannot reach {where} ({problem}): check DATABASE_URL and that the "
                    "server is running",
                )
            ]
        found = [Finding(f"database reachable ({engine.dialect.name})")]
        current, head = current_revision(engine), head_revision()
        if current is None:
            found.append(Finding("migrations", "the database has no tables; run aarbot db upgrade"))
        elif current != head:
            found.append(Finding("migrations", f"at {current}, not {head}; run aarbot db upgrade"))
        else:
            found.append(Finding(f"migrations current ({current})"))
            found.append(_outbox(engine))
        return found
    finally:
        engine.dispose()


def _outbox(engine: Any) -> Finding:
    from sqlmodel import Session

    from storage import outbox

    with Session(engine) as session:
        report = outbox.report(session)
    waiting = report.pending + report.running
    if report.failed:
        return Finding(
            "outbox",
            f"{report.failed} failed job(s); see aarbot jobs status, then aarbot jobs retry-failed",
        )
    return Finding(f"outbox: {waiting} job(s) waiting, none failed")


def _token(context: _Context) -> list[Finding]:
    settings = context.settings
    if settings.oauth:
        return _installations(context)
    for name in ("SLACK_API_URL", "SLACK_BOT_TOKEN"):
        if name in context.bad:
            return [Finding("token", f"fix {name} first")]
    if not settings.slack_bot_token:
        return [Finding("token", f"SLACK_BOT_TOKEN is not set: {_COPY_FROM_SLACK}")]
    auth, fix = _call(settings, "auth_test")
    if auth is None:
        return [Finding("token", fix)]
    context.auth = auth
    return [
        Finding(
            f"token: team {auth.get('team')} ({auth.get('team_id')}), "
            f"bot user @{auth.get('user')} ({auth.get('user_id')})"
        )
    ]


def _installations(context: _Context) -> list[Finding]:
    """Multi-workspace: every installed workspace's bot token answers auth.test."""
    from bot.slack.install import installation_store, installed_teams, latest_bot_token
    from storage.db import make_engine

    settings = context.settings
    for name in ("SLACK_API_URL", "DATABASE_URL"):
        if name in context.bad:
            return [Finding("installations", f"fix {name} first")]
    engine = make_engine(settings.database_url)
    try:
        if missing_sqlite_file(engine):
            return [Finding("installations", "no database yet; run aarbot db upgrade")]
        try:
            store = installation_store(settings, engine)
            teams = installed_teams(store)
            tokens = {t.team_id: latest_bot_token(store, t.team_id) for t in teams}
        except Exception as exc:
            return [
                Finding(
                    "installations", f"cannot read them ({_first_line(exc)}); run aarbot db upgrade"
                )
            ]
    finally:
        engine.dispose()
    if not teams:
        return [
            Finding(
                "installations",
                f"none yet: open {INSTALL_PATH} on this server (its public https URL) and add "
                "aarbot to a workspace",
            )
        ]
    found = []
    for team in teams:
        label = f"{team.team_name} ({team.team_id})"
        token = tokens.get(team.team_id)
        auth, fix = _call(settings, "auth_test", token=token) if token else (None, "no bot token")
        if auth is None:
            found.append(Finding(f"installed in {label}", f"{fix}; reinstall from {INSTALL_PATH}"))
            continue
        context.installs.append(_Install(label, token, auth))
        found.append(
            Finding(f"installed in {label}, bot user @{auth.get('user')} ({auth.get('user_id')})")
        )
    return found


def _call(
    settings: Settings, method: str, token: str | None = None, **args: Any
) -> tuple[Any, str]:
    """The Web API response, or None and what to do about the failure."""
    from slack_sdk.errors import SlackApiError

    from bot.slack.app import build_client
    from bot.slack.clients import REJECTED_TOKEN_ERRORS

    try:
        return getattr(build_client(settings, token=token), method)(**args), ""
    except SlackApiError as err:
        code = err.response.get("error", "unknown error")
        if code in REJECTED_TOKEN_ERRORS and token is not None:
            return None, f"Slack rejected the workspace's bot token ({code})"
        if code in REJECTED_TOKEN_ERRORS:
            return None, f"Slack rejected SLACK_BOT_TOKEN ({code}): {_COPY_FROM_SLACK}"
        return None, f"{err.response.api_url.rsplit('/', 1)[-1]} failed ({code})"
    except OSError as exc:
        where = f"cannot reach Slack at {settings.slack_api_url} ({_first_line(exc)})"
        return None, f"{where}: check SLACK_API_URL and the network"


def _scopes(context: _Context) -> list[Finding]:
    if context.settings.oauth:
        if not context.installs:
            return [Finding("scopes", "cannot check until a workspace is installed")]
        return [
            _granted(i.auth, f"scopes in {i.team}", reinstall=f"reinstall from {INSTALL_PATH}")
            for i in context.installs
        ]
    if context.auth is None:
        return [Finding("scopes", "cannot check until the token works")]
    return [_granted(context.auth, "scopes", reinstall="reinstall the app from manifest.yml")]


def _granted(auth: Any, what: str, *, reinstall: str) -> Finding:
    headers = {k.lower(): v for k, v in (auth.headers or {}).items()}
    raw = headers.get("x-oauth-scopes")
    if raw is None:
        return Finding(what, "auth.test did not report them; check SLACK_API_URL")
    if isinstance(raw, list):  # some HTTP stacks keep repeated headers as lists
        raw = ",".join(raw)
    granted = {s.strip() for s in raw.split(",") if s.strip()}
    missing = sorted(REQUIRED_SCOPES - granted)
    if missing:
        return Finding(what, f"{reinstall} to grant: {', '.join(missing)}")
    return Finding(f"{what}: all {len(REQUIRED_SCOPES)} that manifest.yml declares")


def _lessons_channel(context: _Context) -> list[Finding]:
    if "AARBOT_LESSONS_CHANNEL" in context.bad:
        # Not a channel id: the settings say so, and how to find the id.
        return [Finding("lessons channel", str(context.bad["AARBOT_LESSONS_CHANNEL"]))]
    ref = context.settings.lessons_channel
    if not ref:
        return [Finding("lessons channel: none set (AARBOT_LESSONS_CHANNEL is optional)")]
    if context.settings.oauth:
        # The channel belongs to one of the workspaces: the first whose bot can see it.
        for install in context.installs:
            found = _lessons_channel_found(context, ref, install.auth, install.token)
            if "not found" not in (found.fix or ""):
                return [found]
        return [
            Finding(
                "lessons channel",
                f"{ref} not found in any installed workspace: check AARBOT_LESSONS_CHANNEL",
            )
        ]
    if context.auth is None:
        return [Finding("lessons channel", "cannot check until the token works")]
    return [_lessons_channel_found(context, ref, context.auth)]


def _lessons_channel_found(
    context: _Context, ref: str, auth: Any, token: str | None = None
) -> Finding:
    bot_name = f"@{auth.get('user') or 'aarbot'}"
    info, fix = _call(context.settings, "conversations_info", token=token, channel=ref)
    if info is None:
        if "channel_not_found" in fix:
            fix = (
                f"{ref} not found: check AARBOT_LESSONS_CHANNEL (a private channel is only "
                f"visible once {bot_name} is invited)"
            )
        return Finding("lessons channel", fix)
    channel = info["channel"]
    name = f"#{channel.get('name', ref)}"
    if channel.get("is_archived"):
        return Finding("lessons channel", f"{name} ({ref}) is archived: pick another channel")
    if not channel.get("is_member"):
        return Finding(
            "lessons channel",
            f"{bot_name} is not in {name} ({ref}): invite {bot_name} (type /invite {bot_name} "
            f"in {name})",
        )
    return Finding(f"lessons channel: {name} ({ref}), {bot_name} is a member")


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
