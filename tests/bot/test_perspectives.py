"""Private perspectives before the discussion, and a review waiting to be invited in."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.slack.ids import Act
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from bot.standin.state import BOT_USER_ID
from storage.models import Answer, Participant, Review
from tests.bot import reviewing as r

PRIVATE = {
    "U0BOB": {"expected": "Checkout stays up all evening", "assumption": "The flag was off"},
    "U0CAROL": {"actual": "500s for 40 minutes", "evidence": "Staging was green"},
}


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join((m.get("text") or "") + json.dumps(m.get("blocks") or []) for m in messages)


def _give_perspective(bot: Bot, root: dict[str, Any], user: str, answers: dict[str, str]):
    dm = bot.standin.dm(user)[-1]
    button = next(
        e
        for block in dm["blocks"]
        for e in block.get("elements", [])
        if e.get("action_id") == Act.GIVE_PERSPECTIVE
    )
    bot.click(Act.GIVE_PERSPECTIVE, value=button["value"], user=user, channel="D" + user[1:])
    view = bot.last_view()
    block_ids = [b.get("block_id") for b in view["blocks"]]
    values = {
        f"q_{key}": {f"q_{key}": p.text_value(answers.get(key))}
        for key in (b.removeprefix("q_") for b in block_ids if b and b.startswith("q_"))
    }
    assert {f"q_{k}" for k in answers} <= set(values)
    return bot.submit(view, values, user=user)


def _progress(root_message: dict[str, Any]) -> tuple[int, int]:
    found = re.search(r"(\d+) of (\d+) have given their perspective", _texts([root_message]))
    assert found, _texts([root_message])
    return int(found[1]), int(found[2])


@pytest.mark.parametrize("attributed", [False, True], ids=["anonymous", "attributed"])
def test_private_perspectives_then_the_digest(
    bot: Bot, session: Session, standin: SlackStandIn, attributed: bool
) -> None:
    options = ("perspectives", "attributed") if attributed else ("perspectives",)
    root = r.start(bot, participants=("U0BOB", "U0CAROL"), options=options)
    review = session.exec(select(Review)).one()
    assert review.stage == "perspectives"
    assert review.attributed_perspectives is attributed
    people = session.exec(select(Participant)).all()
    for person in people:
        assert Act.GIVE_PERSPECTIVE in _texts(standin.dm(person.user_id))
    assert _progress(standin.messages("C0GENERAL")[0]) == (0, len(people))

    for user, answers in PRIVATE.items():
        response = _give_perspective(bot, root, user, answers)
        assert response.status == 200
        assert not response.body
    assert _progress(standin.messages("C0GENERAL")[0]) == (2, len(people))
    # Nothing private has reached the channel yet.
    for answers in PRIVATE.values():
        for text in answers.values():
            assert text not in _texts(standin.messages("C0GENERAL"))

    r.click(bot, root, Act.START_DISCUSSION, user="U0BOB")
    assert "Only the facilitator" in _texts(standin.ephemerals("U0BOB"))
    session.rollback()
    assert session.exec(select(Review)).one().stage == "perspectives"

    r.click(bot, root, Act.START_DISCUSSION)
    digest = next(m for m in r.thread(bot, root) if "What people said privately" in m["text"])
    shown = _texts([digest])
    for user, answers in PRIVATE.items():
        for text in answers.values():
            assert text in shown
        assert (f"<@{user}>" in shown) is attributed
    session.rollback()
    assert session.exec(select(Review)).one().stage == "discussion"
    private = session.exec(select(Answer).where(Answer.source == "private")).all()
    assert len(private) == 4


# --- a private channel the app is not in ------------------------------------------------------


def test_a_review_in_a_private_channel_waits_for_the_invitation(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    title = "Secret launch slipped"
    bot.command(title, channel="G0SECRET")
    response = bot.submit(bot.last_view(), r.start_values(title=title, what="It slipped a week"))
    assert response.status == 200
    assert not response.body
    assert standin.messages("G0SECRET") == []
    assert standin.calls_to("chat.postMessage") == []
    told = [resp for resp in standin.responses if "invite" in json.dumps(resp["body"]).lower()]
    assert len(told) == 1
    assert told[0]["response_type"] == "ephemeral"
    assert "/invite @aarbot" in told[0]["body"]["text"]
    review = session.exec(select(Review)).one()
    assert review.stage == "setup"

    with standin.state.lock:
        standin.state.channels["G0SECRET"].members.add(BOT_USER_ID)
    joined = {
        "type": "member_joined_channel",
        "user": BOT_USER_ID,
        "channel": "G0SECRET",
        "channel_type": "G",
        "team": "T0001",
    }
    assert bot.event(joined).status == 200

    posted = standin.messages("G0SECRET")
    assert title in _texts(posted[:1])
    assert "What did we expect to happen?" in _texts(posted)
    session.rollback()
    review = session.exec(select(Review)).one()
    assert review.stage == "discussion"
    assert review.message_ts == posted[0]["ts"]

    # Someone else joining changes nothing; nor does the same event again.
    bot.event({**joined, "user": "U0BOB"})
    assert len(standin.calls_to("chat.postMessage")) == len(
        [m for m in standin.messages("G0SECRET") if m.get("user") == BOT_USER_ID]
    )


def test_one_draft_slack_refuses_on_invite_does_not_hold_back_the_others(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    for title in ("First secret slip", "Second secret slip"):
        bot.command(title, channel="G0SECRET")
        bot.submit(bot.last_view(), r.start_values(title=title, what="It slipped"))
    with standin.state.lock:
        standin.state.channels["G0SECRET"].members.add(BOT_USER_ID)
    # Slack refuses the first review message outright; the second must still go out.
    standin.fail_next("chat.postMessage", status=200, error="fatal_error")
    joined = {"type": "member_joined_channel", "user": BOT_USER_ID, "channel": "G0SECRET"}
    assert bot.event(joined).status == 200
    session.rollback()
    stages = {r.title: r.stage for r in session.exec(select(Review))}
    assert stages == {"First secret slip": "setup", "Second secret slip": "discussion"}
    assert "Second secret slip" in _texts(standin.messages("G0SECRET")[:1])


def test_a_perspective_for_a_deleted_review_is_answered_on_the_modals_own_field(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot, participants=("U0BOB",), options=("perspectives",))
    dm = standin.dm("U0BOB")[-1]
    button = next(
        e
        for block in dm["blocks"]
        for e in block.get("elements", [])
        if e.get("action_id") == Act.GIVE_PERSPECTIVE
    )
    bot.click(Act.GIVE_PERSPECTIVE, value=button["value"], user="U0BOB", channel="D0BOB")
    view = bot.last_view()
    session.delete(session.get(Review, int(r.review_id(root))))
    session.commit()
    refused = bot.submit(view, {}, user="U0BOB")
    first = next(b["block_id"] for b in view["blocks"] if b["type"] == "input")
    assert refused.json() == {
        "response_action": "errors",
        "errors": {first: "That review no longer exists."},
    }
