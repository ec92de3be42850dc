"""`aarbot run` as a real process: the production server, health, signatures, shutdown."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from bot.standin import SlackStandIn, payloads, sign_request
from storage.db import head_revision
from tests.bot.processes import aarbot, clean_env, post, run_http, wait_healthy
from tests.conftest import SIGNING_SECRET


def test_run_serves_health_and_signed_commands_and_stops_on_sigterm(
    tmp_path: Path, standin: SlackStandIn, run_database_url: str
) -> None:
    process, base = run_http(tmp_path, standin.base_url, run_database_url, SIGNING_SECRET)
    try:
        health = wait_healthy(base, process)
        assert health["status"] == "ok"
        assert health["database"]["ok"] is True
        assert health["migrations"] == {
            "ok": True,
            "current": head_revision(),
            "head": head_revision(),
        }

        body = payloads.slash_command(
            text="help",
            user_id="U0ALICE",
            channel_id="C0GENERAL",
            response_url=standin.response_url("run"),
        )
        status, text = post(f"{base}/slack/events", body, sign_request(body, SIGNING_SECRET))
        assert status == 200
        assert "/aar search" in text
        assert json.loads(text)["response_type"] == "ephemeral"

        forged = sign_request(body, "not-the-secret")
        status, _ = post(f"{base}/slack/events", body, forged)
        assert status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "listening on" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": "nope://"},
            "DATABASE_URL",
        ),
    ],
)
def test_run_without_good_settings_prints_one_line_and_exits_2(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    process = aarbot("run", env=clean_env(**env), cwd=tmp_path)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"aarbot: {named} ")
    assert not (tmp_path / "aarbot.db").exists()


def test_db_upgrade_migrates_the_default_sqlite_file(tmp_path: Path) -> None:
    process = aarbot("db", "upgrade", env=clean_env(), cwd=tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"revision {head_revision()}" in out
    assert (tmp_path / "aarbot.db").is_file()
    again = aarbot("db", "current", env=clean_env(), cwd=tmp_path)
    assert "up to date" in again.communicate(timeout=60)[0]
