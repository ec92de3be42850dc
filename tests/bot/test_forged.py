"""A request Slack did not sign causes nothing: 401, no Web API call, no response_url, no body
in the log. Forged bodies name a response_url on a second local server, which must hear
nothing, and users and channels that must be messaged by nobody."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from bot.slack.ids import Act
from bot.standin import payloads
from bot.standin.driver import Bot
from bot.standin.signing import sign_request
from storage.models import Answer, Review
from tests.bot.listening import HOSTILE_MARK, hostile_server
from tests.bot.reviewing import review_id, start, thread
from tests.conftest import SIGNING_SECRET


@pytest.fixture
def hostile() -> Iterator[tuple[str, list[str]]]:
    """A second local server an attacker points response_url at; what it heard."""
    with hostile_server() as server:
        yield server


def _bodies(bot: Bot, hostile_url: str, root: dict) -> dict[str, tuple[str, bool]]:
    """Forged bodies of every kind, each naming the hostile response_url where it can."""
    review = review_id(root)
    click = payloads.block_actions(
        team_id="T0TEST",
        user_id="U0ALICE",
        action_id=Act.NEXT,
        value=review,
        block_id="b",
        channel_id="C0GENERAL",
        message_ts=root["ts"],
        trigger_id=payloads.new_trigger_id(),
        response_url=hostile_url,
    )
    command = payloads.slash_command(
        text=f"list {HOSTILE_MARK}",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        team_id="T0TEST",
        response_url=hostile_url,
        trigger_id="trigger-forged",
    )
    reply = payloads.event_callback(
        payloads.message_event(
            channel="C0GENERAL",
            user="U0BOB",
            text=f"forged answer {HOSTILE_MARK}",
            ts="1999999999.000100",
            thread_ts=root["ts"],
            team="T0TEST",
        ),
        event_id="EvForged1",
        team_id="T0TEST",
    )
    broken = urlencode({"payload": '{"type": "block_actions", "user": ' + HOSTILE_MARK})
    return {
        "click": (click, False),
        "command": (command, False),
        "reply": (reply, True),
        "broken": (broken, False),
    }


def _post(bot: Bot, body: str, *, json_body: bool, **headers: str):
    base = {
        "Content-Type": "application/json" if json_body else "application/x-www-form-urlencoded"
    }
    base.update(headers)
    return bot.request("POST", "/slack/events", body, base)


def _forgeries(body: str) -> dict[str, dict[str, str]]:
    """Header sets that must all fail verification, for one body."""
    good = sign_request(body, SIGNING_SECRET)
    wrong_secret = sign_request(body, "not-the-secret")
    now = int(time.time())
    future = sign_request(body, SIGNING_SECRET, timestamp=now + 3600)
    stale = sign_request(body, SIGNING_SECRET, timestamp=now - 3600)
    zeros = "v0=" + "0" * 64
    return {
        "non-numeric timestamp": {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": zeros},
        "non-numeric timestamp, real signature": {
            "X-Slack-Request-Timestamp": "abc",
            "X-Slack-Signature": good["X-Slack-Signature"],
        },
        "non-ASCII digits": {"X-Slack-Request-Timestamp": "١٢٣", "X-Slack-Signature": zeros},
        "empty timestamp": {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": zeros},
        "missing timestamp": {"X-Slack-Signature": good["X-Slack-Signature"]},
        "missing signature": {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},
        "malformed signature": {
            "X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"],
            "X-Slack-Signature": "v1=abc",
        },
        "far-future timestamp": {k: v for k, v in future.items() if k.startswith("X-Slack")},
        "stale timestamp": {k: v for k, v in stale.items() if k.startswith("X-Slack")},
        "wrong secret": {k: v for k, v in wrong_secret.items() if k.startswith("X-Slack")},
        "zero signature": {
            "X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"],
            "X-Slack-Signature": zeros,
        },
    }


def test_forged_requests_get_401_and_cause_nothing(
    bot: Bot, session, hostile, caplog: pytest.LogCaptureFixture
) -> None:
    hostile_url, heard = hostile
    root = start(bot, what="The deploy broke checkout")
    bot.settle()
    before_thread = len(thread(bot, root))
    bot.standin.reset_calls()
    responses_before = len(bot.standin.responses)
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    tried = 0
    for kind, (body, json_body) in _bodies(bot, hostile_url, root).items():
        for name, headers in _forgeries(body).items():
            response = _post(bot, body, json_body=json_body, **headers)
            assert response.status == 401, (kind, name, response.status, response.body)
            tried += 1
    bot.settle()
    assert tried == 44
    assert heard == [], "a forged request made the bot call the response_url it named"
    assert bot.standin.calls == [], "a forged request made the bot call Slack"
    assert len(bot.standin.responses) == responses_before
    assert len(thread(bot, root)) == before_thread
    assert [a.text for a in session.exec(select(Answer))] == ["The deploy broke checkout"]
    assert session.exec(select(Review)).one().question_index == 0
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert HOSTILE_MARK not in logged, "a forged body reached the log"
    assert "Traceback" not in caplog.text
    refusals = [r for r in caplog.records if "failed verification" in r.getMessage()]
    assert len(refusals) == tried


def test_an_oversize_body_is_refused_unread(bot: Bot, hostile) -> None:
    hostile_url, heard = hostile
    body = payloads.slash_command(
        text="x" * (3 * 1024 * 1024),
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        team_id="T0TEST",
        response_url=hostile_url,
        trigger_id="trigger-big",
    )
    response = bot.post_signed(body)
    assert response.status == 401
    bot.settle()
    assert heard == []
    assert bot.standin.calls == []


def test_a_signed_request_still_works(bot: Bot) -> None:
    """The check refuses forgeries only: the same kinds of request, signed, are answered."""
    root = start(bot, what="The deploy broke checkout")
    bot.reply("We skipped the canary", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    assert any("canary" in m.get("text", "") for m in thread(bot, root))
    body = json.dumps({"token": "x", "challenge": "abc", "type": "url_verification"})
    assert bot.post_signed(body, json_body=True).json() == {"challenge": "abc"}
