"""`aarbot doctor`: one ok or fix line per check, exit 1 when anything needs fixing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
from bot.slack.scopes import REQUIRED_SCOPES
from bot.standin import SlackStandIn
from storage.db import downgrade, make_engine, upgrade
from tests.bot.processes import clean_env
from tests.conftest import SIGNING_SECRET

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture
def doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Run `aarbot doctor` in an empty directory with only the given settings."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "AARBOT_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)

    def run(**env: str) -> tuple[int, list[str]]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code = main(["doctor"])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out.splitlines()

    return run


@pytest.fixture
def good(standin: SlackStandIn, database_url: str) -> dict[str, str]:
    """Settings that are all fine against the stand-in and this test's database."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
        "DATABASE_URL": database_url,
    }


def _fixes(lines: list[str]) -> dict[str, str]:
    return dict(
        line.removeprefix("fix ").split(": ", 1) for line in lines if line.startswith("fix")
    )


def test_required_scopes_are_the_manifests_bot_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == REQUIRED_SCOPES


def test_no_settings_at_all_says_what_to_set_and_creates_no_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "doctor"],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    fixes = _fixes(result.stdout.splitlines())
    assert "SLACK_SIGNING_SECRET is not set" in fixes["settings"]
    assert "no database yet" in fixes["database"]
    assert "run aarbot db upgrade" in fixes["database"]
    assert "SLACK_BOT_TOKEN is not set" in fixes["token"]
    assert "OAuth & Permissions" in fixes["token"]
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_are_each_named_and_the_rest_still_checked(doctor, standin) -> None:
    code, lines = doctor(
        DATABASE_URL="mysql://localhost/aarbot",
        SLACK_BOT_TOKEN="xoxp-a-user-token",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=standin.base_url,
        AARBOT_LESSONS_CHANNEL="#lessons",
    )
    assert code == 1
    settings = [line for line in lines if line.startswith("fix settings:")]
    assert any("DATABASE_URL" in line for line in settings)
    assert any(
        "SLACK_BOT_TOKEN must be a bot token starting with xoxb-" in line for line in settings
    )
    fixes = _fixes(lines)
    assert "DATABASE_URL" in fixes["database"]
    assert "SLACK_BOT_TOKEN" in fixes["token"]
    assert "use the channel id" in fixes["lessons channel"]
    assert not standin.calls


def test_a_malformed_database_url_is_a_fix_not_a_crash(doctor) -> None:
    code, lines = doctor(DATABASE_URL="not a url at all")
    assert code == 1
    assert any(line.startswith("fix settings: DATABASE_URL is malformed") for line in lines)


def test_good_settings_against_the_standin_are_all_ok(doctor, good) -> None:
    code, lines = doctor(**good, AARBOT_LESSONS_CHANNEL="C0LESSONS")
    assert code == 0, lines
    assert all(line.startswith("ok  ") for line in lines)
    text = "\n".join(lines)
    assert "ok  settings" in text
    assert "ok  database reachable" in text
    assert "ok  migrations current" in text
    assert "ok  token: team aarbot-demo" in text
    assert "@aarbot" in text
    assert "ok  scopes" in text
    assert "ok  lessons channel: #lessons (C0LESSONS)" in text


def test_missing_scopes_are_listed_with_the_reinstall_fix(doctor, good, standin) -> None:
    standin.scopes = sorted(REQUIRED_SCOPES - {"users:read", "im:write"})
    code, lines = doctor(**good)
    assert code == 1
    assert _fixes(lines) == {
        "scopes": "reinstall the app from manifest.yml to grant: im:write, users:read"
    }


def test_a_lessons_channel_the_bot_is_not_in_says_invite(doctor, good) -> None:
    code, lines = doctor(**good, AARBOT_LESSONS_CHANNEL="C0OPS")
    assert code == 1
    fix = _fixes(lines)["lessons channel"]
    assert "#ops" in fix
    assert "invite @aarbot" in fix


def test_an_unknown_lessons_channel_is_not_found(doctor, good) -> None:
    code, lines = doctor(**good, AARBOT_LESSONS_CHANNEL="C0NOPE")
    assert code == 1
    assert "C0NOPE not found" in _fixes(lines)["lessons channel"]


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed"])
def test_a_rejected_token_says_where_to_get_one(doctor, good, standin, error: str) -> None:
    standin.fail_next("auth.test", status=200, error=error)
    code, lines = doctor(**good)
    fixes = _fixes(lines)
    assert code == 1
    assert f"Slack rejected SLACK_BOT_TOKEN ({error})" in fixes["token"]
    assert "OAuth & Permissions" in fixes["token"]
    assert fixes["scopes"] == "cannot check until the token works"


def test_a_database_behind_on_migrations_says_upgrade(doctor, good, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = make_engine(url)
    upgrade(engine)
    downgrade(engine, "0001")
    engine.dispose()
    code, lines = doctor(**{**good, "DATABASE_URL": url})
    assert code == 1
    assert _fixes(lines)["migrations"].endswith("run aarbot db upgrade")
    assert "ok  database reachable (sqlite)" in lines


def test_an_unreachable_slack_is_a_fix(doctor, good) -> None:
    code, lines = doctor(**{**good, "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    assert code == 1
    assert "cannot reach Slack" in _fixes(lines)["token"]


def test_settings_that_cannot_be_separated_stop_the_other_checks(doctor) -> None:
    code, lines = doctor(AARBOT_NUDGE_OVERDUE_DAYS="10")
    assert code == 1
    assert lines[0].startswith("fix settings: AARBOT_ESCALATE_AFTER_DAYS is 7")
    assert "fix database: fix the settings above first" in lines


def test_a_rate_limited_slack_is_waited_for_not_reported(doctor, good, standin) -> None:
    standin.fail_next("auth.test", status=429, retry_after=0)
    standin.fail_next("conversations.info", status=429, retry_after=0)
    code, lines = doctor(**good, AARBOT_LESSONS_CHANNEL="C0LESSONS")
    assert code == 0, lines
    assert len([c for c in standin.calls_to("auth.test") if c.status == 429]) == 1


def test_a_slack_that_keeps_failing_is_a_fix_not_a_crash(doctor, good, standin) -> None:
    standin.fail_next("auth.test", status=503, times=10)
    code, lines = doctor(**good)
    assert code == 1
    assert _fixes(lines)["token"] == "auth.test failed (internal_error)"
    assert _fixes(lines)["scopes"] == "cannot check until the token works"
