"""The one Settings object: read once from the environment and `.env` in the working directory.

A pydantic-settings model. Each field names its variable (`text`, `_int`, `_bool` below) and how
its text is read; a bad value raises SettingsError, which pydantic lets through unwrapped, so a
mistake is still one line that names the setting and says how to fix it. Built in code
(`Settings(workers=2)`, tests, the demo) it reads nothing from the environment or `.env`;
`load_settings` is the one place that does, and the environment wins over `.env`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.slack.scopes import INSTALL_PATH, REDIRECT_PATH
from flows.nudges import NudgePolicy

DEFAULT_DATABASE_URL = "sqlite:///aarbot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")

log = logging.getLogger("aarbot.settings")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""

    # Not a ValueError: pydantic passes it on as raised instead of folding it into its report.
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name = name


# How each variable's text becomes its value: (name, stripped text) -> value, or SettingsError.
_READERS: dict[str, Callable[[str, str], Any]] = {}


def text(name: str, default: Any = "", read: Callable[[str, str], Any] | None = None) -> Any:
    """A field read from the variable `name`; blank means `default`; `read` parses and checks."""
    _READERS[name] = read or (lambda _name, raw: raw)
    return Field(default, validation_alias=name)


def _int(name: str, default: int, low: int, high: int) -> Any:
    """A whole-number field from `low` to `high`."""

    def read(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(
                name, f"is {raw!r}: give a whole number from {low} to {high}"
            ) from None
        if not low <= value <= high:
            raise SettingsError(name, f"is {value}: give a whole number from {low} to {high}")
        return value

    return text(name, default, read)


def _bool(name: str, *, default: bool) -> Any:
    """A true/false field (1/0, yes/no, on/off too)."""

    def read(name: str, raw: str) -> bool:
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(name, f"is {raw.lower()!r}: give true or false")

    return text(name, default, read)


def _bot_token(name: str, value: str) -> str:
    if not value.startswith("xoxb-"):
        raise SettingsError(name, "must be a bot token starting with xoxb-")
    return value


def _app_token(name: str, value: str) -> str:
    if not value.startswith("xapp-"):
        raise SettingsError(name, "must be an app-level token starting with xapp-")
    return value


def _redirect_uri(name: str, value: str) -> str:
    if not _is_http_url(value):
        raise SettingsError(
            name,
            f"must be the full URL like https://aarbot.example.com{REDIRECT_PATH}",
        )
    if not urlsplit(value).path.endswith(REDIRECT_PATH):
        # Slack would send the browser to a path nothing answers (a proxy may add a prefix).
        raise SettingsError(
            name,
            f"must end in {REDIRECT_PATH}, where aarbot takes Slack's redirect back, like "
            f"https://aarbot.example.com{REDIRECT_PATH}",
        )
    return value


def _time_zone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            name, f"is {value!r}, not an IANA time zone like Europe/Berlin"
        ) from None
    return value


def _weekday(name: str, value: str) -> str:
    day = value.lower()[:3]
    if day not in _WEEKDAYS:
        raise SettingsError(name, "must be a weekday name like mon or friday")
    return day


def _leads(name: str, value: str) -> tuple[str, ...]:
    leads = tuple(x for x in re.split(r"[\s,]+", value) if x)
    for lead in leads:
        if not _USER_ID.match(lead):
            raise SettingsError(name, f"has {lead!r}: list Slack user ids like U0123ABC")
    return leads


def _log_format(name: str, value: str) -> str:
    if value.lower() not in {"text", "json"}:
        raise SettingsError(name, "must be text or json")
    return value.lower()


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


def _database_url(name: str, url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    fix = "use sqlite:///path/to/aarbot.db or postgresql+psycopg://user:pass@host:5432/dbname"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(name, f"is malformed: {fix}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in {"", "pysqlite"}:
        return url
    if backend in {"postgresql", "postgres"} and driver in {"", "psycopg"}:
        if not parsed.database:
            raise SettingsError(name, f"names no database: {fix}")
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise SettingsError(name, f"uses {parsed.drivername!r}, which aarbot does not: {fix}")


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _api_url(name: str, url: str) -> str:
    if not _is_http_url(url):
        raise SettingsError(name, "must be an http(s) URL like https://slack.com/api/")
    return url if url.endswith("/") else url + "/"


def _clock(name: str, raw: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise SettingsError(name, f"is {raw!r}: give a time of day like 09:00")
    return f"{int(match[1]):02d}:{match[2]}"


def _log_level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(name, "must be DEBUG, INFO, WARNING or ERROR")
    return level


class Settings(BaseSettings):
    """Everything aarbot reads from its environment, parsed and checked."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", case_sensitive=True, validate_by_name=True
    )

    slack_bot_token: str = text("SLACK_BOT_TOKEN", read=_bot_token)
    slack_signing_secret: str = text("SLACK_SIGNING_SECRET")
    slack_app_token: str = text("SLACK_APP_TOKEN", read=_app_token)
    slack_client_id: str = text("SLACK_CLIENT_ID")
    slack_client_secret: str = text("SLACK_CLIENT_SECRET")
    slack_redirect_uri: str = text("SLACK_REDIRECT_URI", read=_redirect_uri)
    database_url: str = text("DATABASE_URL", DEFAULT_DATABASE_URL, _database_url)
    slack_api_url: str = text("SLACK_API_URL", DEFAULT_SLACK_API_URL, _api_url)
    lessons_channel: str = text("AARBOT_LESSONS_CHANNEL", read=_channel_id)
    leads: Annotated[tuple[str, ...], NoDecode] = text("AARBOT_LEADS", (), _leads)
    leads_channel: str = text("AARBOT_LEADS_CHANNEL", read=_channel_id)
    repeat_threshold: int = _int("AARBOT_REPEAT_THRESHOLD", 3, 2, 50)
    repeat_window_days: int = _int("AARBOT_REPEAT_WINDOW_DAYS", 90, 1, 3650)
    templates_dir: Path | None = text(
        "AARBOT_TEMPLATES_DIR", None, lambda _name, value: Path(value)
    )
    default_tz: str = text("AARBOT_DEFAULT_TZ", "UTC", _time_zone)
    nudge_time: str = text("AARBOT_NUDGE_TIME", "09:00", _clock)
    nudge_days_before: int = _int("AARBOT_NUDGE_DAYS_BEFORE", 2, 0, 30)
    nudge_overdue_days: int = _int("AARBOT_NUDGE_OVERDUE_DAYS", 2, 1, 60)
    escalate_after_days: int = _int("AARBOT_ESCALATE_AFTER_DAYS", 7, 1, 365)
    nudge_skip_weekends: bool = _bool("AARBOT_NUDGE_SKIP_WEEKENDS", default=True)
    sweep_seconds: int = _int("AARBOT_SWEEP_SECONDS", 60, 5, 3600)
    nudge_max_attempts: int = _int("AARBOT_NUDGE_MAX_ATTEMPTS", 5, 1, 100)
    digest_day: str = text("AARBOT_DIGEST_DAY", "mon", _weekday)
    digest_hour: int = _int("AARBOT_DIGEST_HOUR", 9, 0, 23)
    workers: int = _int("AARBOT_WORKERS", 8, 1, 256)
    web_processes: int = _int("AARBOT_WEB_PROCESSES", 1, 1, 64)
    job_threads: int = _int("AARBOT_JOB_THREADS", 4, 0, 64)
    job_lease_seconds: int = _int("AARBOT_JOB_LEASE_SECONDS", 60, 5, 3600)
    job_max_attempts: int = _int("AARBOT_JOB_MAX_ATTEMPTS", 6, 1, 100)
    outbox_poll_ms: int = _int("AARBOT_OUTBOX_POLL_MS", 200, 10, 60000)
    ready_max_job_age: int = _int("AARBOT_READY_MAX_JOB_AGE", 30, 1, 86400)
    log_level: str = text("AARBOT_LOG_LEVEL", "INFO", _log_level)
    log_format: str = text("AARBOT_LOG_FORMAT", "text", _log_format)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment comes in as arguments (load_settings), so code and tests that build
        # Settings get exactly what they give; `.env` only when a file is named (_env_file).
        return init_settings, dotenv_settings

    @model_validator(mode="before")
    @classmethod
    def _read(cls, given: Any) -> Any:
        """Each variable's text through its reader (blank: the default); values given in code,
        by field name, pass as they are."""
        if not isinstance(given, dict):
            return given
        values: dict[str, Any] = {}
        for key, value in given.items():
            reader = _READERS.get(key)
            if reader is None or not isinstance(value, str):
                values[key] = value
            elif value.strip():
                values[key] = reader(key, value.strip())
        return values

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """The checks that need two settings."""
        _both_or_neither(
            ("SLACK_CLIENT_ID", self.slack_client_id),
            ("SLACK_CLIENT_SECRET", self.slack_client_secret),
        )
        if self.escalate_after_days <= self.nudge_overdue_days:
            raise SettingsError(
                "AARBOT_ESCALATE_AFTER_DAYS",
                f"is {self.escalate_after_days}: it must be more than AARBOT_NUDGE_OVERDUE_DAYS "
                f"({self.nudge_overdue_days})",
            )
        return self

    @property
    def nudge_hour(self) -> int:
        """The hour of AARBOT_NUDGE_TIME."""
        return int(self.nudge_time.split(":")[0])

    @property
    def nudge_minute(self) -> int:
        """The minute of AARBOT_NUDGE_TIME."""
        return int(self.nudge_time.split(":")[1])

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
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    env = os.environ if environ is None else environ
    given = {name: env[name] for name in _READERS if name in env}
    return Settings(_env_file=path if path.is_file() else None, **given)
