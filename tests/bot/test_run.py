"""`aarbot run` as a real process: the production server, health, signatures, shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.standin import SlackStandIn, payloads, sign_request
from storage.db import head_revision
from tests.conftest import SIGNING_SECRET
from tests.database import postgres_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _aarbot(*args: str, env: dict[str, str], cwd: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _clean_env(**values: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    keep.pop("DATABASE_URL", None)
    keep["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return {**keep, **values}


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _wait_healthy(base: str, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"aarbot exited early: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.1)
    pytest.fail("aarbot did not answer /readyz within 30 s")


@pytest.fixture
def run_database_url(tmp_path: Path, database_url: str) -> str:
    # On SQLite use a database that has never been migrated: `run` must migrate it.
    return database_url if postgres_url() else f"sqlite:///{tmp_path / 'fresh.db'}"


def test_run_serves_health_and_signed_commands_and_stops_on_sigterm(
    tmp_path: Path, standin: SlackStandIn, run_database_url: str
) -> None:
    port = _free_port()
    env = _clean_env(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.base_url,
        DATABASE_URL=run_database_url,
    )
    process = _aarbot("run", "--http", "--port", str(port), env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait_healthy(base, process)
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
        status, text = _post(f"{base}/slack/events", body, sign_request(body, SIGNING_SECRET))
        assert status == 200
        assert "/aar search" in text
        assert json.loads(text)["response_type"] == "ephemeral"

        forged = sign_request(body, "not-the-secret")
        status, _ = _post(f"{base}/slack/events", body, forged)
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
    process = _aarbot("run", env=_clean_env(**env), cwd=tmp_path)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"aarbot: {named} ")
    assert not (tmp_path / "aarbot.db").exists()


def test_db_upgrade_migrates_the_default_sqlite_file(tmp_path: Path) -> None:
    process = _aarbot("db", "upgrade", env=_clean_env(), cwd=tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"revision {head_revision()}" in out
    assert (tmp_path / "aarbot.db").is_file()
    again = _aarbot("db", "current", env=_clean_env(), cwd=tmp_path)
    assert "up to date" in again.communicate(timeout=60)[0]
