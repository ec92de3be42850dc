"""Settings: defaults, .env, and one clear line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings

NO_DOTENV = Path("/nonexistent/.env")


def test_defaults_need_nothing() -> None:
    settings = load_settings({}, dotenv_path=NO_DOTENV)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.nudge_days_before == 2
    assert (settings.nudge_hour, settings.nudge_minute) == (9, 0)
    assert not settings.socket_mode


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nAARBOT_NUDGE_DAYS_BEFORE=3\n")
    settings = load_settings({"AARBOT_NUDGE_DAYS_BEFORE": "5"}, dotenv_path=dotenv)
    assert settings.slack_bot_token == "xoxb-from-file"
    assert settings.nudge_days_before == 5


def test_postgres_urls_get_the_psycopg_driver() -> None:
    settings = load_settings(
        {"DATABASE_URL": "postgresql://u:p@db:5432/aar"}, dotenv_path=NO_DOTENV
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/aar"


def test_api_url_gets_a_trailing_slash() -> None:
    settings = load_settings({"SLACK_API_URL": "http://127.0.0.1:9/api"}, dotenv_path=NO_DOTENV)
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/aar"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql+psycopg://u@host"}, "DATABASE_URL"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "ftp://slack"}, "SLACK_API_URL"),
        ({"AARBOT_NUDGE_DAYS_BEFORE": "two"}, "AARBOT_NUDGE_DAYS_BEFORE"),
        ({"AARBOT_NUDGE_DAYS_BEFORE": "99"}, "AARBOT_NUDGE_DAYS_BEFORE"),
        ({"AARBOT_NUDGE_TIME": "25:00"}, "AARBOT_NUDGE_TIME"),
        ({"AARBOT_DEFAULT_TZ": "Mars/Olympus"}, "AARBOT_DEFAULT_TZ"),
        ({"AARBOT_LEADS": "alice"}, "AARBOT_LEADS"),
        ({"AARBOT_NUDGE_SKIP_WEEKENDS": "maybe"}, "AARBOT_NUDGE_SKIP_WEEKENDS"),
        ({"AARBOT_ESCALATE_AFTER_DAYS": "2"}, "AARBOT_ESCALATE_AFTER_DAYS"),
        ({"AARBOT_LESSONS_CHANNEL": "#lessons"}, "AARBOT_LESSONS_CHANNEL"),
        ({"AARBOT_LESSONS_CHANNEL": "c0lessons"}, "AARBOT_LESSONS_CHANNEL"),
        ({"AARBOT_LEADS_CHANNEL": "leads"}, "AARBOT_LEADS_CHANNEL"),
        ({"AARBOT_LEADS_CHANNEL": "U0ALICE"}, "AARBOT_LEADS_CHANNEL"),
    ],
)
def test_a_bad_value_names_its_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env, dotenv_path=NO_DOTENV)
    assert caught.value.name == named
    assert str(caught.value).startswith(named)
    assert "\n" not in str(caught.value)


def test_channels_are_public_or_private_channel_ids() -> None:
    env = {"AARBOT_LESSONS_CHANNEL": " C0LESSONS ", "AARBOT_LEADS_CHANNEL": "G0LEADS"}
    settings = load_settings(env, dotenv_path=NO_DOTENV)
    assert (settings.lessons_channel, settings.leads_channel) == ("C0LESSONS", "G0LEADS")
    with pytest.raises(SettingsError, match=r"^AARBOT_LEADS_CHANNEL is '#leads': use the channel"):
        load_settings({"AARBOT_LEADS_CHANNEL": "#leads"}, dotenv_path=NO_DOTENV)


def test_running_needs_a_token_and_a_secret() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, dotenv_path=NO_DOTENV)
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        settings.require_slack(socket_mode=False)
    settings = load_settings({}, dotenv_path=NO_DOTENV)
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        settings.require_slack(socket_mode=False)


def test_settings_built_in_code_read_neither_the_environment_nor_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///from-file.db\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(workers=2)
    assert (settings.slack_bot_token, settings.database_url) == ("", DEFAULT_DATABASE_URL)
    loaded = load_settings()
    assert (loaded.slack_bot_token, loaded.database_url) == (
        "xoxb-from-env",
        "sqlite:///from-file.db",
    )
    assert loaded.model_copy(update={"workers": 3}).workers == 3


def test_a_list_and_a_time_are_read_from_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("AARBOT_LEADS=U0ALICE, U0BOB\nAARBOT_NUDGE_TIME=7:30\nAARBOT_WORKERS=\n")
    settings = load_settings({}, dotenv_path=dotenv)
    assert settings.leads == ("U0ALICE", "U0BOB")
    assert (settings.nudge_hour, settings.nudge_minute) == (7, 30)
    assert settings.workers == 8
