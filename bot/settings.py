"""The one Settings object: read once from the environment and `.env` in the working directory."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.scopes import INSTALL_PATH, REDIRECT_PATH
from flows.nudges import NudgePolicy

DEFAULT_DATABASE_URL = "sqlite:///aarbot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")

log = logging.getLogger("aarbot.settings")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    """Everything aarbot reads from its environment, parsed and checked."""

    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_client_id: str = ""
    slack_client_secret: str = ""
    slack_redirect_uri: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    slack_api_url: str = DEFAULT_SLACK_API_URL
    lessons_channel: str = ""
    leads: tuple[str, ...] = ()
    leads_channel: str = ""
    repeat_threshold: int = 3
    repeat_window_days: int = 90
    templates_dir: Path | None = None
    default_tz: str = "UTC"
    nudge_days_before: int = 2
    nudge_overdue_days: int = 2
    escalate_after_days: int = 7
    nudge_hour: int = 9
    nudge_minute: int = 0
    nudge_skip_weekends: bool = True
    sweep_seconds: int = 60
    nudge_max_attempts: int = 5
    digest_day: str = "mon"
    digest_hour: int = 9
    workers: int = 8
    web_processes: int = 1
    job_threads: int = 4
    job_lease_seconds: int = 60
    job_max_attempts: int = 6
    outbox_poll_ms: int = 200
    ready_max_job_age: int = 30
    log_level: str = "INFO"
    log_format: str = "text"
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set, so Socket Mode is available."""
        return bool(self.slack_app_token)

    @property
    def oauth(self) -> bool:
        """True when the app is installed per workspace through OAuth (multi-workspace mode)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def nudge_policy(self) -> NudgePolicy:
        """When owners are nudged, as the plan in flows/ needs it."""
        return NudgePolicy(
            days_before=self.nudge_days_before,
            overdue_days=self.nudge_overdue_days,
            escalate_after_days=self.escalate_after_days,
            hour=self.nudge_hour,
            minute=self.nudge_minute,
            skip_weekends=self.nudge_skip_weekends,
        )

    def require_slack(self, *, socket_mode: bool) -> None:
        """Raise SettingsError unless the Slack credentials this mode needs are present.

        Warn about a bot token that a multi-workspace install does not use.
        """
        if self.oauth and socket_mode:
            raise SettingsError(
                "SLACK_APP_TOKEN",
                "is set, but a multi-workspace install (SLACK_CLIENT_ID) needs HTTP mode for "
                f"{INSTALL_PATH} and {REDIRECT_PATH}: unset it or run with --http",
            )
        if not self.slack_bot_token and not self.oauth:
            raise SettingsError(
                "SLACK_BOT_TOKEN",
                "is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack app's "
                "OAuth & Permissions page into the environment or .env (or set "
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install in several workspaces)",
            )
        if not self.slack_signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET",
                "is not set: copy the Signing Secret from your Slack app's Basic Information "
                "page into the environment or .env",
            )
        if socket_mode and not self.slack_app_token:
            raise SettingsError(
                "SLACK_APP_TOKEN",
                "is not set: Socket Mode needs an app-level token (xapp-…) with "
                "connections:write, or run with --http",
            )
        if self.oauth and self.slack_bot_token:
            # Not an error: a workspace moving to installs may still have it in its .env.
            log.warning(
                "SLACK_BOT_TOKEN is set but not used: a multi-workspace install (SLACK_CLIENT_ID) "
                "uses each workspace's installed token; install from %s and unset it",
                INSTALL_PATH,
            )


def load_settings(
    environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None
) -> Settings:
    """Read settings from `.env` (if present) overlaid by the environment; raise SettingsError."""
    values: dict[str, str] = {}
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return _parse(values)


def _parse(env: Mapping[str, str]) -> Settings:
    def text(name: str, default: str = "") -> str:
        return env.get(name, default).strip() or default

    bot_token = text("SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
    app_token = text("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
    client_id, client_secret = text("SLACK_CLIENT_ID"), text("SLACK_CLIENT_SECRET")
    _both_or_neither(("SLACK_CLIENT_ID", client_id), ("SLACK_CLIENT_SECRET", client_secret))
    redirect_uri = text("SLACK_REDIRECT_URI")
    if redirect_uri and not _is_http_url(redirect_uri):
        raise SettingsError(
            "SLACK_REDIRECT_URI",
            f"must be the full URL like https://aarbot.example.com{REDIRECT_PATH}",
        )
    if redirect_uri and not urlsplit(redirect_uri).path.endswith(REDIRECT_PATH):
        # Slack would send the browser to a path nothing answers (a proxy may add a prefix).
        raise SettingsError(
            "SLACK_REDIRECT_URI",
            f"must end in {REDIRECT_PATH}, where aarbot takes Slack's redirect back, like "
            f"https://aarbot.example.com{REDIRECT_PATH}",
        )
    templates_dir = text("AARBOT_TEMPLATES_DIR")
    default_tz = text("AARBOT_DEFAULT_TZ", "UTC")
    try:
        ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            "AARBOT_DEFAULT_TZ", f"is {default_tz!r}, not an IANA time zone like Europe/Berlin"
        ) from None
    hour, minute = _clock(text("AARBOT_NUDGE_TIME", "09:00"))
    digest_day = text("AARBOT_DIGEST_DAY", "mon").lower()[:3]
    if digest_day not in _WEEKDAYS:
        raise SettingsError("AARBOT_DIGEST_DAY", "must be a weekday name like mon or friday")
    leads = tuple(x for x in re.split(r"[\s,]+", text("AARBOT_LEADS")) if x)
    for lead in leads:
        if not _USER_ID.match(lead):
            raise SettingsError("AARBOT_LEADS", f"has {lead!r}: list Slack user ids like U0123ABC")
    log_format = text("AARBOT_LOG_FORMAT", "text").lower()
    if log_format not in {"text", "json"}:
        raise SettingsError("AARBOT_LOG_FORMAT", "must be text or json")
    overdue = _int(env, "AARBOT_NUDGE_OVERDUE_DAYS", 2, 1, 60)
    escalate = _int(env, "AARBOT_ESCALATE_AFTER_DAYS", 7, 1, 365)
    if escalate <= overdue:
        raise SettingsError(
            "AARBOT_ESCALATE_AFTER_DAYS",
            f"is {escalate}: it must be more than AARBOT_NUDGE_OVERDUE_DAYS ({overdue})",
        )
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=text("SLACK_SIGNING_SECRET"),
        slack_app_token=app_token,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_redirect_uri=redirect_uri,
        database_url=_database_url(text("DATABASE_URL", DEFAULT_DATABASE_URL)),
        slack_api_url=_api_url(text("SLACK_API_URL", DEFAULT_SLACK_API_URL)),
        lessons_channel=_channel_id("AARBOT_LESSONS_CHANNEL", text("AARBOT_LESSONS_CHANNEL")),
        leads=leads,
        leads_channel=_channel_id("AARBOT_LEADS_CHANNEL", text("AARBOT_LEADS_CHANNEL")),
        repeat_threshold=_int(env, "AARBOT_REPEAT_THRESHOLD", 3, 2, 50),
        repeat_window_days=_int(env, "AARBOT_REPEAT_WINDOW_DAYS", 90, 1, 3650),
        templates_dir=Path(templates_dir) if templates_dir else None,
        default_tz=default_tz,
        nudge_days_before=_int(env, "AARBOT_NUDGE_DAYS_BEFORE", 2, 0, 30),
        nudge_overdue_days=overdue,
        escalate_after_days=escalate,
        nudge_hour=hour,
        nudge_minute=minute,
        nudge_skip_weekends=_bool(env, "AARBOT_NUDGE_SKIP_WEEKENDS", default=True),
        sweep_seconds=_int(env, "AARBOT_SWEEP_SECONDS", 60, 5, 3600),
        nudge_max_attempts=_int(env, "AARBOT_NUDGE_MAX_ATTEMPTS", 5, 1, 100),
        digest_day=digest_day,
        digest_hour=_int(env, "AARBOT_DIGEST_HOUR", 9, 0, 23),
        workers=_int(env, "AARBOT_WORKERS", 8, 1, 256),
        web_processes=_int(env, "AARBOT_WEB_PROCESSES", 1, 1, 64),
        job_threads=_int(env, "AARBOT_JOB_THREADS", 4, 0, 64),
        job_lease_seconds=_int(env, "AARBOT_JOB_LEASE_SECONDS", 60, 5, 3600),
        job_max_attempts=_int(env, "AARBOT_JOB_MAX_ATTEMPTS", 6, 1, 100),
        outbox_poll_ms=_int(env, "AARBOT_OUTBOX_POLL_MS", 200, 10, 60000),
        ready_max_job_age=_int(env, "AARBOT_READY_MAX_JOB_AGE", 30, 1, 86400),
        log_level=_log_level(text("AARBOT_LOG_LEVEL", "INFO")),
        log_format=log_format,
        extra={k: v for k, v in env.items() if k.startswith("AARBOT_TEST_")},
    )


def _both_or_neither(first: tuple[str, str], second: tuple[str, str]) -> None:
    (name, value), (other, other_value) = first, second
    if bool(value) == bool(other_value):
        return
    missing, given = (name, other) if not value else (other, name)
    raise SettingsError(
        missing,
        f"is not set but {given} is: a multi-workspace install needs both (copy them from "
        "your Slack app's Basic Information page), or neither for a single workspace",
    )


def _channel_id(name: str, value: str) -> str:
    if value and not _CHANNEL_ID.match(value):
        raise SettingsError(
            name,
            f"is {value!r}: use the channel id (like C0123ABC; it is at the bottom of the "
            "channel's details in Slack)",
        )
    return value


def _database_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    fix = "use sqlite:///path/to/aarbot.db or postgresql+psycopg://user:pass@host:5432/dbname"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError("DATABASE_URL", f"is malformed: {fix}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in {"", "pysqlite"}:
        return url
    if backend in {"postgresql", "postgres"} and driver in {"", "psycopg"}:
        if not parsed.database:
            raise SettingsError("DATABASE_URL", f"names no database: {fix}")
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise SettingsError("DATABASE_URL", f"uses {parsed.drivername!r}, which aarbot does not: {fix}")


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _api_url(url: str) -> str:
    if not _is_http_url(url):
        raise SettingsError("SLACK_API_URL", "must be an http(s) URL like https://slack.com/api/")
    return url if url.endswith("/") else url + "/"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"is {raw!r}: give a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"is {value}: give a whole number from {low} to {high}")
    return value


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(name, f"is {raw!r}: give true or false")


def _clock(raw: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise SettingsError("AARBOT_NUDGE_TIME", f"is {raw!r}: give a time of day like 09:00")
    return int(match[1]), int(match[2])


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError("AARBOT_LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")
    return level
