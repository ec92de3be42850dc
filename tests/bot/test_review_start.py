"""Starting a review in a public channel the app is not in, from the global shortcut, and Back."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.slack.ids import Act, Block, Shortcut
from bot.standin import payloads as p
from bot.standin.driver import Bot
from storage.models import Answer, Review
from tests.bot import reviewing as r


def _texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks", [])) for m in messages)


def test_a_public_channel_the_app_is_not_in_is_joined(bot: Bot) -> None:
    root = r.start(bot, "Ops pager storm", channel="C0OPS")
    assert [c.args.get("channel") for c in bot.standin.calls_to("conversations.join")] == ["C0OPS"]
    assert "Ops pager storm" in _texts([root])
    assert "What did we expect" in _texts(r.thread(bot, root, "C0OPS"))


def test_the_global_shortcut_asks_for_the_channel(bot: Bot) -> None:
    bot.post_signed(p.shortcut(callback_id=Shortcut.START, user_id="U0ALICE"))
    bot.settle()
    view = bot.last_view()
    assert Block.CHANNEL in json.dumps(view["blocks"])
    values = r.start_values(title="Release slipped a week")
    # Without a channel the modal says so on that field, keeping the rest.
    response = bot.submit(view, values)
    assert response.json() == {
        "response_action": "errors",
        "errors": {Block.CHANNEL: "Pick the channel the review should run in."},
    }
    values[Block.CHANNEL] = {
        Block.CHANNEL: {"type": "conversations_select", "selected_conversation": "C0GENERAL"}
    }
    assert bot.submit(view, values).status == 200
    [root] = [m for m in bot.standin.messages("C0GENERAL") if m.get("thread_ts") in (None, m["ts"])]
    assert "Release slipped a week" in _texts([root])


def test_back_returns_to_the_previous_question_and_replies_follow(
    bot: Bot, session: Session
) -> None:
    root = r.start(bot)
    r.click(bot, root, Act.NEXT)
    r.click(bot, root, Act.BACK)
    assert "1/8" in _texts([r.thread(bot, root)[-1]])
    bot.reply("We expected zero errors", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    session.rollback()
    [answer] = session.exec(select(Answer).where(Answer.author_id == "U0BOB")).all()
    assert answer.question_key == "expected"


def test_a_review_in_a_private_channel_is_confidential(bot: Bot, session: Session) -> None:
    bot.standin.add_channel(
        "G0PRIVATE", "incident-42", is_private=True, bot_member=True, members=("U0ALICE",)
    )
    root = r.start(bot, "Payroll export leaked", channel="G0PRIVATE")
    assert "confidential" in str(root["blocks"])
    review = session.exec(select(Review).where(Review.channel_id == "G0PRIVATE")).one()
    assert review.confidential
