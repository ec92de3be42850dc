"""Slack gets its ack before any slow work: Web API calls and database rendering come after.

The stand-in answers one Web API method late (and records a call only once it has answered
it), so a response that comes back while that call is still unanswered proves the ack did
not wait for it. Nothing here times anything: it only checks what happened first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.runtime.deps import Deps
from bot.slack.app import build_app
from bot.slack.ids import Act, Block, View
from bot.standin import payloads as p
from bot.standin.driver import Bot, Response
from tests.bot import reviewing as r

SLOW = 1.0  # seconds the stand-in takes to answer the slow method


def _answered(bot: Bot, method: str) -> int:
    if method == "response_url":
        return len(bot.standin.responses)
    return len(bot.standin.calls_to(method))


def _acked_before(bot: Bot, method: str, send: Callable[[], Response]) -> Response:
    """Send with `method` slow; check the response came before `method` was answered."""
    before = _answered(bot, method)
    bot.standin.delay(method, SLOW)
    try:
        response = send()
        assert response.status == 200, response.body
        assert _answered(bot, method) == before, f"the ack waited for {method}"
        bot.settle()
    finally:
        bot.standin.delay(method, None)
    assert _answered(bot, method) > before, f"{method} never happened after the ack"
    return response


def _command(bot: Bot, text: str, name: str) -> Response:
    body = p.slash_command(
        text=text,
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        response_url=bot.standin.response_url(name, channel="C0GENERAL", user="U0ALICE"),
        trigger_id=p.new_trigger_id(),
    )
    return bot.post_signed(body)


def test_a_slash_command_is_acked_before_its_modal_opens(bot: Bot) -> None:
    response = _acked_before(bot, "views.open", lambda: _command(bot, "Queue froze", "c1"))
    assert not response.body
    assert bot.last_view()["callback_id"] == View.START


@pytest.mark.parametrize("text", ["list", "search deploy"])
def test_list_and_search_are_acked_before_the_database_work_and_the_answer(
    bot: Bot, text: str
) -> None:
    r.start(bot, "Deploy froze the queue")
    name = "c-" + text.replace(" ", "-")
    response = _acked_before(bot, "response_url", lambda: _command(bot, text, name))
    assert not response.body
    assert "Deploy froze the queue" in str(bot.standin.responses[-1]["body"])


def test_a_button_click_is_acked_before_the_thread_post(bot: Bot) -> None:
    root = r.start(bot)
    body = p.block_actions(
        user_id="U0ALICE",
        action_id=Act.NEXT,
        value=r.review_id(root),
        channel_id="C0GENERAL",
        message_ts=root["ts"],
        response_url=bot.standin.response_url("next", channel="C0GENERAL", user="U0ALICE"),
    )
    _acked_before(bot, "chat.postMessage", lambda: bot.post_signed(body))
    assert len(r.thread(bot, root)) >= 2


def test_a_view_submission_is_acked_before_the_review_is_posted(bot: Bot) -> None:
    bot.command("Queue froze")
    view = bot.last_view()
    values = r.start_values(title="Queue froze")
    body = p.view_submission(
        user_id="U0ALICE",
        callback_id=view["callback_id"],
        values=values,
        private_metadata=view["private_metadata"],
    )
    response = _acked_before(bot, "chat.postMessage", lambda: bot.post_signed(body))
    assert not response.body
    assert any("Queue froze" in m["text"] for m in bot.standin.messages("C0GENERAL"))


def test_an_answer_modal_is_acked_before_the_answer_is_posted(bot: Bot) -> None:
    root = r.start(bot)
    r.click(bot, root, Act.ANSWER, value=f"{r.review_id(root)}:expected")
    view = bot.last_view()
    body = p.view_submission(
        user_id="U0ALICE",
        callback_id=view["callback_id"],
        values={Block.ANSWER: {Block.ANSWER: p.text_value("A quiet deploy")}},
        private_metadata=view["private_metadata"],
    )
    _acked_before(bot, "chat.postMessage", lambda: bot.post_signed(body))
    assert "A quiet deploy" in json.dumps(r.thread(bot, root))


def test_an_event_is_acked_before_the_review_message_is_updated(bot: Bot) -> None:
    root = r.start(bot)
    message = bot.standin.add_message("C0GENERAL", "U0BOB", "It froze", thread_ts=root["ts"])
    event = p.message_event(
        channel="C0GENERAL", user="U0BOB", text="It froze", ts=message["ts"], thread_ts=root["ts"]
    )
    body = p.event_callback(event, event_id="Ev0ACKFIRST")
    _acked_before(bot, "chat.update", lambda: bot.post_signed(body, json_body=True))


def test_an_owner_never_looked_up_is_accepted_on_the_first_submit(bot: Bot) -> None:
    root = r.start(bot)
    r.click(bot, root, Act.ADD_ACTION)
    view = bot.last_view()
    looked_up = len(bot.standin.calls_to("users.info"))
    body = p.view_submission(
        user_id="U0ALICE",
        callback_id=view["callback_id"],
        values=r.action_values(owner="U0CAROL"),  # never looked up: not in the cache
        private_metadata=view["private_metadata"],
    )
    response = bot.post_signed(body)
    assert response.status == 200
    assert response.body in (b"", None), response.body  # accepted, no "press again"
    assert len(bot.standin.calls_to("users.info")) == looked_up + 1  # asked once, in the request
    bot.settle()
    assert any("U0CAROL" in json.dumps(m) for m in r.thread(bot, root))


def test_an_owner_slack_does_not_know_is_refused_on_the_field(bot: Bot) -> None:
    root = r.start(bot)
    r.click(bot, root, Act.ADD_ACTION)
    response = bot.submit(bot.last_view(), r.action_values(owner="U0NOBODY"))
    assert response.json()["response_action"] == "errors"
    assert "Slack does not know this person" in response.json()["errors"][Block.OWNER]


def test_acks_do_not_wait_for_a_busy_worker_pool(bot: Bot) -> None:
    r.start(bot, "Deploy froze the queue")
    busy = bot.executor._max_workers + 2
    bot.standin.delay("response_url", SLOW)
    try:
        for n in range(busy):
            response = _command(bot, "list", f"busy{n}")
            assert response.status == 200
        assert not bot.standin.responses  # every ack came back while all the work waited
        bot.settle()
    finally:
        bot.standin.delay("response_url", None)
    assert len(bot.standin.responses) == busy


def test_the_worker_pool_size_is_the_workers_setting(deps: Deps, make_settings: Any) -> None:
    app = build_app(Deps(settings=make_settings(workers=3), engine=deps.engine))
    pool = app.listener_runner.listener_executor
    try:
        assert pool._max_workers == 3
        assert app.process_before_response is True
    finally:
        pool.shutdown()
