"""Every log line of a request carries its id, after the ack too, and the apology quotes it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.runtime import logs
from bot.standin.driver import Bot
from tests.bot import reviewing as r


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure(level="DEBUG", fmt="json", stream=stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def _reference(text: str) -> str:
    return text.split("reference `")[1].split("`", maxsplit=1)[0]


def test_json_lines_carry_the_request_id_the_apology_quotes(
    bot: Bot, log_output: io.StringIO
) -> None:
    root = r.start(bot)
    log_output.truncate(0)
    log_output.seek(0)
    # Slack refuses the review message update for good (not a passing trouble, which would
    # be retried): the reply's job fails, and its author gets the apology.
    bot.standin.fail_next("chat.update", status=200, error="invalid_blocks", times=10)
    bot.reply("The canary was skipped", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])

    [apology] = [e for e in bot.standin.ephemerals("U0BOB") if "Sorry" in e["text"]]
    ref = _reference(apology["text"])
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [error] = [e for e in lines if e["logger"] == "aarbot.errors"]
    assert error["request_id"] == ref
    assert ref in error["message"]
    assert "chat.update" in error["exception"]
    # The same id on the ack's lines and on its job's, run later by an outbox worker.
    mine = [e for e in lines if e.get("request_id") == ref]
    assert any(e["logger"] == "aarbot.jobs" or e["logger"] == "aarbot.errors" for e in mine)
    assert any(e["logger"] == "aarbot.bolt" for e in mine)
    assert any(e["logger"].startswith("slack_sdk") for e in mine)
    # Another request gets another id.
    other = {e["request_id"] for e in lines if e.get("request_id")} - {ref}
    assert not other or all(len(i) == len(ref) for i in other)


def test_each_request_gets_its_own_id(bot: Bot, log_output: io.StringIO) -> None:
    bot.command("help")
    bot.command("help")
    ids = {
        e["request_id"]
        for e in map(json.loads, log_output.getvalue().splitlines())
        if e.get("request_id")
    }
    assert len(ids) == 2


def test_text_lines_show_the_request_id(bot: Bot) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        logs.configure(level="DEBUG", fmt="text", stream=stream)
        bot.command("help")
        outside = logging.getLogger("aarbot.test")
        outside.info("not in a request")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    lines = stream.getvalue().splitlines()
    bolt = [line for line in lines if " aarbot.bolt [" in line]
    assert bolt
    assert all("[-]" not in line for line in bolt)
    assert lines[-1].endswith("aarbot.test [-]: not in a request")
