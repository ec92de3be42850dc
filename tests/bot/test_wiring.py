"""Signed requests through the real app (WSGI → Bolt → listeners) against the stand-in."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import create_engine

from bot.standin import payloads
from bot.standin.driver import Bot
from storage.db import head_revision


def _last_response(bot: Bot) -> dict:
    assert bot.standin.responses, "nothing was posted to the response_url"
    return bot.standin.responses[-1]["body"]


def test_help_answers_ephemerally_with_every_subcommand(bot: Bot) -> None:
    response = bot.command("help")
    assert response.status == 200
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    shown = json.dumps(answer["blocks"])
    for usage in ("/aar list", "/aar actions", "/aar search", "/aar stats", "/aar help"):
        assert usage in shown
    # Help is the ack itself: it costs no Web API call.
    assert [c.method for c in bot.standin.calls if c.method != "auth.test"] == []


def test_an_unknown_subcommand_gets_the_same_help(bot: Bot) -> None:
    answer = bot.command("--serach <!channel>").json()
    shown = json.dumps(answer["blocks"])
    assert "/aar search" in shown
    assert "I don't know" in shown
    # What the user typed is echoed escaped, so it cannot ping the channel.
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt;" in shown


@pytest.mark.parametrize("tamper", ["signature", "body", "stale"])
def test_a_forged_or_stale_request_gets_401_and_reaches_nothing(bot: Bot, tamper: str) -> None:
    body = payloads.slash_command(
        text="help",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        response_url=bot.standin.response_url("forged"),
    )
    timestamp = int(time.time()) - 6 * 60 if tamper == "stale" else None
    headers = signed = bot.sign(body, timestamp=timestamp)
    if tamper == "signature":
        headers = {**signed, "X-Slack-Signature": "v0=" + "0" * 64}
    sent = body.replace("help", "list") if tamper == "body" else body
    response = bot.request("POST", "/slack/events", sent, headers)
    bot.settle()
    assert response.status == 401
    assert bot.standin.calls == []
    assert bot.standin.responses == []


def test_only_settings_turn_on_a_multi_workspace_install(
    make_bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bolt would build a file-based OAuth flow from these by itself; Settings did not ask.
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "x")
    bot = make_bot()
    assert bot.app.oauth_flow is None
    assert bot.request("GET", "/slack/install").status == 404
    response = bot.command("help")
    assert response.status == 200
    assert response.json()["response_type"] == "ephemeral"


def test_url_verification_is_answered(bot: Bot) -> None:
    response = bot.post_signed(payloads.url_verification("challenge-123"), json_body=True)
    assert response.status == 200
    assert response.json() == {"challenge": "challenge-123"}


def test_readyz_reports_the_database_and_migrations(bot: Bot) -> None:
    assert bot.request("GET", "/healthz").json()["database"]["ok"] is True
    response = bot.request("GET", "/readyz")
    assert response.status == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["ok"] is True
    assert response.json()["database"]["backend"] == bot.deps.engine.dialect.name
    assert response.json()["migrations"]["current"] == head_revision()


def test_readyz_says_503_when_the_database_is_gone(bot: Bot, tmp_path) -> None:
    from dataclasses import replace

    broken = create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    unhealthy = Bot(deps=replace(bot.deps, engine=broken), standin=bot.standin, secret=bot.secret)
    response = unhealthy.request("GET", "/readyz")
    assert response.status == 503
    assert response.json()["database"]["ok"] is False
    assert "OperationalError" in response.json()["database"]["error"]
    assert unhealthy.request("GET", "/healthz").status == 200


def test_unknown_paths_and_methods(bot: Bot) -> None:
    assert bot.request("GET", "/nope").status == 404
    assert bot.request("GET", "/slack/events").status == 405


def test_an_unexpected_error_becomes_an_apology_with_a_reference(bot: Bot, caplog) -> None:
    @bot.app.command("/aar-broken")
    def broken(ack, command) -> None:
        ack()
        raise RuntimeError("kaboom")

    body = payloads.slash_command(
        command="/aar-broken",
        text="",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        response_url=bot.standin.response_url("broken"),
    )
    with caplog.at_level("ERROR", logger="aarbot.errors"):
        bot.post_signed(body)
        bot.settle()
    apology = _last_response(bot)
    assert apology["response_type"] == "ephemeral"
    assert "Sorry" in apology["text"]
    ref = apology["text"].split("reference `")[1].split("`")[0]
    assert any(ref in record.getMessage() for record in caplog.records)
    assert any("kaboom" in (record.exc_text or "") for record in caplog.records)
