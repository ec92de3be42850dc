"""A whole review through the real app: /aar to the closed summary, and the success template."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.slack.ids import Act
from bot.standin.driver import Bot
from storage.models import Action, Answer, Review
from tests.bot import reviewing as r

MISS_ANSWERS = [
    ("U0ALICE", "Checkout stays up through the Friday deploy"),
    ("U0BOB", "Checkout returned 500s for 40 minutes after the 16:00 deploy"),
    ("U0CAROL", "We assumed the feature flag kept the new code path off"),
    ("U0BOB", "The staging dashboard was green and the flag showed OFF"),
    ("U0CAROL", "The flag service had been migrated on Thursday"),
    ("U0ALICE", "Deploys do not check flag state in production before rollout"),
]


def _texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks", [])) for m in messages)


def test_a_full_miss_review_from_aar_to_the_closed_summary(bot: Bot, session: Session) -> None:
    root = r.start(bot, participants=("U0BOB", "U0CAROL"), what="Checkout broke at 16:00")
    assert "Checkout outage after Friday deploy" in _texts([root])
    first = r.thread(bot, root)
    assert "What did we expect to happen?" in _texts(first)

    # Five text questions and the root cause: each gets a reply; the facilitator moves on.
    for number, (author, text) in enumerate(MISS_ANSWERS, start=1):
        bot.reply(text, user=author, channel="C0GENERAL", thread_ts=root["ts"])
        if number < len(MISS_ANSWERS):
            r.click(bot, root, Act.NEXT)

    replies = _texts(r.thread(bot, root))
    assert "What assumption guided this decision?" in replies
    assert "What evidence did we have?" in replies
    assert "What changed?" in replies
    assert "Recap" in replies  # a digest when each question closes
    # On the root cause: choose the gap type, then move to the actions question.
    rid = r.review_id(root)
    r.click(bot, root, Act.GAP_TYPE, selected_option="process", block_id=f"q:{rid}:root_cause")
    r.click(bot, root, Act.NEXT)
    response = r.add_action(bot, root)
    assert response.status == 200
    assert not response.body
    r.click(bot, root, Act.NEXT)
    recap = r.thread(bot, root)[-2]  # the recap of the actions question, then the lesson question
    assert "Recap" in _texts([recap])
    assert "Add a canary stage" in _texts([recap])
    bot.reply(
        "Check live flag state before every rollout",
        user="U0CAROL",
        channel="C0GENERAL",
        thread_ts=root["ts"],
    )
    r.click(bot, root, Act.CLOSE)

    summary = r.thread(bot, root)[-1]
    shown = _texts([summary])
    assert "Summary" in shown
    for _, text in MISS_ANSWERS:
        assert text in shown
    assert "Process" in shown
    assert "Add a canary stage" in shown
    assert "<@U0BOB>" in shown
    assert "Check live flag state before every rollout" in shown

    review = session.exec(select(Review)).one()
    assert review.stage == "closed"
    assert review.gap_type == "process"
    stored = session.exec(select(Answer).order_by(Answer.id)).all()
    by_key = {a.question_key: a.text for a in stored}
    assert by_key["assumption"] == MISS_ANSWERS[2][1]
    assert by_key["root_cause"] == MISS_ANSWERS[5][1]
    assert by_key["lesson"] == "Check live flag state before every rollout"
    action = session.exec(select(Action)).one()
    assert action.owner_id == "U0BOB"
    assert action.owner_tz == "America/New_York"
    assert action.specificity >= 3
    # The review message now says it is closed and offers Reopen.
    updated = bot.standin.messages("C0GENERAL")[0]
    assert "Closed" in _texts([updated])
    assert "8 answers and 1 action" in _texts([updated])
    assert Act.REOPEN in _texts([updated])
