"""When Slack fails after someone typed something, what they typed is still stored."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.standin.driver import Bot
from storage.models import Action, Answer, Review
from tests.bot import reviewing as r


def test_an_answer_survives_chat_update_failing(bot: Bot, session: Session) -> None:
    root = r.start(bot)
    # Slack keeps failing the review message update, beyond the client's own retries.
    bot.standin.fail_next("chat.update", status=500, times=10)
    bot.reply(
        "The deploy went out at 16:00", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    session.rollback()
    texts = [a.text for a in session.exec(select(Answer))]
    assert "The deploy went out at 16:00" in texts
    # The apology reached the person who typed it.
    assert any("Sorry" in e["text"] for e in bot.standin.ephemerals("U0BOB"))


def test_an_action_survives_the_thread_post_failing(bot: Bot, session: Session) -> None:
    root = r.start(bot)
    bot.standin.fail_next("chat.postMessage", status=500, times=10)
    r.add_action(bot, root, what="Add a flag check to the deploy script")
    session.rollback()
    assert [a.what for a in session.exec(select(Action))] == [
        "Add a flag check to the deploy script"
    ]


def test_a_review_survives_posting_failing(bot: Bot, session: Session) -> None:
    bot.command("Payment retries doubled charges")
    bot.standin.fail_next("chat.postMessage", status=500, times=10)
    bot.submit(bot.last_view(), r.start_values(title="Payment retries doubled charges"))
    session.rollback()
    [review] = session.exec(select(Review)).all()
    assert review.title == "Payment retries doubled charges"
    assert review.message_ts is None  # kept as a draft
