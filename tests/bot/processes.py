"""Running `aarbot` as a real process for the tests: its environment, its port, signed posts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def aarbot(*args: str, env: dict[str, str], cwd: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def clean_env(**values: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    keep.pop("DATABASE_URL", None)
    keep["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return {**keep, **values}


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_healthy(base: str, process: subprocess.Popen) -> dict:
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


def run_http(
    tmp_path: Path, api_url: str, database_url: str, secret: str, **settings: str
) -> tuple[subprocess.Popen, str]:
    """`aarbot run --http` on a free port with a bot token and `settings`; it and its URL."""
    port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        **settings,
    )
    process = aarbot("run", "--http", "--port", str(port), env=env, cwd=tmp_path)
    return process, f"http://127.0.0.1:{port}"
