"""Answers through the real app: thread replies, the Answer modal, edits, retries and escaping."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from bot.slack.ids import Act, Block, Shortcut
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from storage.models import Answer, ProcessedEvent, Review
from tests.bot import reviewing as r

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join((m.get("text") or "") + json.dumps(m.get("blocks") or []) for m in messages)


def _answers(session: Session) -> list[Answer]:
    session.rollback()  # end the read transaction so the app's later commits are seen
    return list(session.exec(select(Answer).order_by(Answer.id)).all())


def _answer_modal(bot: Bot, root: dict[str, Any], key: str, text: str | None, user: str):
    r.click(bot, root, Act.ANSWER, user=user, value=f"{r.review_id(root)}:{key}")
    view = bot.last_view()
    return bot.submit(view, {Block.ANSWER: {Block.ANSWER: p.text_value(text)}}, user=user)


# --- the message shortcut ----------------------------------------------------------------


def test_a_review_started_from_a_message_keeps_it_and_links_to_it(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    text = "Checkout is down again after the deploy\nSeeing 500s on every order"
    source = standin.add_message("C0GENERAL", "U0BOB", text)
    response = bot.post_signed(
        p.message_shortcut(
            callback_id=Shortcut.START_FROM_MESSAGE,
            user_id="U0ALICE",
            channel_id="C0GENERAL",
            message={"user": "U0BOB", "text": text, "ts": source["ts"]},
        )
    )
    bot.settle()
    assert response.status == 200
    view = bot.last_view()
    shown = json.dumps(view["blocks"])
    assert json.dumps(text)[1:-1] in shown  # "what happened" pre-filled with the message
    assert "Checkout is down again after the deploy" in shown  # and the title from it

    title = "Checkout is down again after the deploy"
    values = r.start_values(title=title, what=text)
    submitted = bot.submit(view, values)
    assert submitted.status == 200
    assert not submitted.body

    review = session.exec(select(Review)).one()
    actual = session.exec(select(Answer).where(Answer.question_key == "actual")).one()
    assert actual.text == text
    permalink = standin.calls_to("chat.getPermalink")[0]
    assert permalink.args["message_ts"] == source["ts"]
    assert review.source_permalink
    root = next(m for m in standin.messages("C0GENERAL") if m.get("user") == "U0BOT")
    assert review.source_permalink in _texts([root])


# --- thread replies and the Answer modal -----------------------------------------------------


def test_answers_come_from_thread_replies_and_the_answer_modal(bot: Bot, session: Session) -> None:
    root = r.start(bot, participants=("U0BOB", "U0CAROL"))
    bot.reply("Checkout stays up", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    response = _answer_modal(
        bot, root, "assumption", "We assumed the flag kept the new path off", "U0CAROL"
    )
    assert response.status == 200
    assert not response.body

    stored = [(a.question_key, a.author_id, a.text, a.source) for a in _answers(session)]
    assert ("expected", "U0BOB", "Checkout stays up", "thread") in stored
    assert (
        "assumption",
        "U0CAROL",
        "We assumed the flag kept the new path off",
        "modal",
    ) in stored
    shown = _texts(r.thread(bot, root))
    assert "We assumed the flag kept the new path off" in shown


def test_an_empty_modal_answer_is_refused_on_its_field(bot: Bot, session: Session) -> None:
    root = r.start(bot)
    for empty in (None, "   "):
        response = _answer_modal(bot, root, "expected", empty, "U0ALICE")
        body = response.json()
        assert body["response_action"] == "errors"
        assert list(body["errors"]) == [Block.ANSWER]
    assert _answers(session) == []


# --- edits, deletions and messages that are not answers -----------------------------------


def test_an_edited_reply_updates_its_answer_and_a_deleted_one_removes_it(
    bot: Bot, session: Session
) -> None:
    root = r.start(bot)
    kept = bot.reply("Checkout stays up", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    gone = bot.reply(
        "Oops, wrong thread", user="U0CAROL", channel="C0GENERAL", thread_ts=root["ts"]
    )

    bot.event(
        p.message_changed_event(
            channel="C0GENERAL",
            user="U0BOB",
            text="Checkout stays up through the deploy",
            ts=kept["ts"],
            previous_text="Checkout stays up",
            thread_ts=root["ts"],
        )
    )
    bot.event(
        p.message_deleted_event(
            channel="C0GENERAL",
            ts=gone["ts"],
            user="U0CAROL",
            previous_text="Oops, wrong thread",
            thread_ts=root["ts"],
        )
    )
    assert [(a.author_id, a.text) for a in _answers(session)] == [
        ("U0BOB", "Checkout stays up through the deploy")
    ]


def test_bot_messages_and_replies_outside_review_threads_are_ignored(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot)
    bot.event(
        p.message_event(
            channel="C0GENERAL",
            user="U0OTHERBOT",
            text="Build 1234 passed",
            ts=standin.add_message("C0GENERAL", "U0OTHERBOT", "x", thread_ts=root["ts"])["ts"],
            thread_ts=root["ts"],
            subtype="bot_message",
            bot_id="B0OTHER",
        )
    )
    bot.event(
        p.message_event(
            channel="C0GENERAL",
            user="U0OTHERBOT",
            text="Deploy finished",
            ts=standin.add_message("C0GENERAL", "U0OTHERBOT", "y", thread_ts=root["ts"])["ts"],
            thread_ts=root["ts"],
            bot_id="B0OTHER",
        )
    )
    other = standin.add_message("C0GENERAL", "U0BOB", "Lunch?")
    bot.reply("Sure", user="U0CAROL", channel="C0GENERAL", thread_ts=other["ts"])
    top = standin.add_message("C0GENERAL", "U0CAROL", "Anyone seen the dashboard?")
    bot.event(p.message_event(channel="C0GENERAL", user="U0CAROL", text=top["text"], ts=top["ts"]))
    assert _answers(session) == []


# --- retries -------------------------------------------------------------------------------


def test_a_retried_event_records_one_answer(bot: Bot, session: Session, standin: SlackStandIn):
    root = r.start(bot)
    message = standin.add_message("C0GENERAL", "U0BOB", "Checkout stays up", thread_ts=root["ts"])
    event = p.message_event(
        channel="C0GENERAL",
        user="U0BOB",
        text="Checkout stays up",
        ts=message["ts"],
        thread_ts=root["ts"],
    )
    assert bot.event(event, event_id="Ev0RETRY1").status == 200
    assert bot.event(event, event_id="Ev0RETRY1", **RETRY).status == 200
    assert bot.event(event, event_id="Ev0OTHER2").status == 200
    assert [a.text for a in _answers(session)] == ["Checkout stays up"]


# --- escaping ------------------------------------------------------------------------------

HOSTILE = ("<!channel>", "<@U0BOB>", "<http://evil.example|click>")


def _parsed(value: Any) -> Any:
    """What Slack parses for mentions and links: not plain_text, not a modal input's own value."""
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return None
        return {k: _parsed(v) for k, v in value.items() if k != "initial_value"}
    if isinstance(value, list):
        return [_parsed(v) for v in value]
    return value


def test_typed_mentions_and_links_never_reach_slack_unescaped(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    typed = " ".join(HOSTILE)
    root = r.start(bot, f"Outage {typed}", participants=("U0CAROL",), what=f"What {typed}")
    bot.reply(f"Reply {typed}", user="U0CAROL", channel="C0GENERAL", thread_ts=root["ts"])
    response = _answer_modal(bot, root, "assumption", f"Modal {typed}", "U0CAROL")
    assert not response.body
    r.click(bot, root, Act.NEXT)
    assert not r.add_action(bot, root, what=f"Add a check {typed}", owner="U0CAROL").body
    r.click(bot, root, Act.CLOSE)  # refused: the refusal must not echo anything typed either

    texts = [a.text for a in _answers(session)]
    assert f"Reply {typed}" in texts  # stored as typed
    assert f"Modal {typed}" in texts
    sent = json.dumps(_parsed([c.args for c in standin.calls] + standin.responses))
    for raw in HOSTILE:
        assert raw not in sent, raw
    assert "&lt;!channel&gt;" in sent


# --- blame-free coaching ---------------------------------------------------------------------


def test_a_blaming_reply_is_stored_and_its_author_coached_privately(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot, participants=("U0BOB", "U0CAROL"))
    bot.reply(
        "It was Bob's fault, he is careless",
        user="U0CAROL",
        channel="C0GENERAL",
        thread_ts=root["ts"],
    )
    bot.reply(
        "Dave deployed at 4pm because the dashboard was green",
        user="U0BOB",
        channel="C0GENERAL",
        thread_ts=root["ts"],
    )
    stored = {a.author_id: a for a in _answers(session)}
    assert stored["U0CAROL"].text == "It was Bob's fault, he is careless"
    assert stored["U0CAROL"].blame_flagged
    assert not stored["U0BOB"].blame_flagged
    notes = standin.calls_to("chat.postEphemeral")
    assert [c.args["user"] for c in notes] == ["U0CAROL"]
    assert notes[0].args["channel"] == "C0GENERAL"
    assert standin.ephemerals("U0BOB") == []


def test_channel_chatter_outside_review_threads_is_not_recorded(bot: Bot, session: Session) -> None:
    root = r.start(bot)
    chatter = p.message_event(channel="C0GENERAL", user="U0BOB", text="lunch?", ts="1799.000001")
    bot.event(chatter, event_id="EvCHATTER1")
    bot.reply(
        "The deploy went out at 16:00", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    session.rollback()
    # Only the thread reply was claimed and stored; a plain channel message wrote nothing.
    claimed = [
        e for e in session.exec(select(ProcessedEvent.event_id)).all() if e.startswith("Ev")
    ]  # (the start modal's submission claimed its view too: "view:…")
    assert "EvCHATTER1" not in claimed
    assert len(claimed) == 1
    assert [a.text for a in session.exec(select(Answer))][-1] == "The deploy went out at 16:00"
