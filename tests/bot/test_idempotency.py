"""The same click or submission twice, 30 ms apart (a double click, a client retry), does the
work once and posts once: Next and Back carry the question they were shown with, every modal
submission is applied once per view id and hash, a gap type chosen again changes nothing, and
a trigger used twice is no error worth an apology."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from sqlmodel import Session, func, select

from bot.slack.ids import Act, Block, View
from bot.standin import payloads as p
from bot.standin.driver import Bot, Response
from bot.standin.state import TEAM_ID
from storage.models import Action, Answer, Lesson, Nudge, Participant, ProcessedEvent, Review
from tests.bot import reviewing as r
from tests.bot.homes import click_on_home, known, open_home
from tests.bot.test_share import LESSON, ROOT_CAUSE, share_values

GAP = 0.03  # seconds between the two copies, as a double click or a client retry


def twice(bot: Bot, body: str) -> list[Response]:
    """Send one signed body twice, the second 30 ms after the first, as two requests at
    once (the first may still be running); wait for all the work after both acks."""
    answers: list[Response | None] = [None, None]

    def send(i: int) -> None:
        answers[i] = bot.post_signed(body)

    first = threading.Thread(target=send, args=(0,))
    first.start()
    time.sleep(GAP)
    second = threading.Thread(target=send, args=(1,))
    second.start()
    first.join()
    second.join()
    bot.settle()
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def quiet(responses: list[Response]) -> None:
    """Both acks are plain 200s: no error, no modal errors."""
    for response in responses:
        assert response.status == 200, response.body
        assert not response.body or "errors" not in (response.json() or {}), response.body


def fresh(session: Session) -> Session:
    """The test's session, its read ended: it sees what the app committed since."""
    session.commit()
    session.expire_all()
    return session


def count(session: Session, model: type, *where: Any) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def posts(bot: Bot, channel: str = "C0GENERAL") -> int:
    """Messages the app posted (chat.postMessage calls that worked) in `channel`."""
    return sum(
        1
        for c in bot.standin.calls_to("chat.postMessage")
        if c.ok and c.args.get("channel") == channel
    )


def responded(bot: Bot) -> list[str]:
    """What the app said through response_urls."""
    return [
        (m["body"].get("text") or "") if isinstance(m["body"], dict) else str(m["body"])
        for m in bot.standin.responses
    ]


def apologies(bot: Bot) -> list[str]:
    said = responded(bot) + [m.get("text") or "" for m in bot.standin.ephemerals()]
    said += [m.get("text") or "" for c in ("C0GENERAL",) for m in bot.standin.messages(c)]
    return [t for t in said if "Sorry" in t]


def submission(view: dict[str, Any], values: dict[str, Any], *, user: str = "U0ALICE") -> str:
    """A view_submission body for an opened modal, with its own view id and hash."""
    return p.view_submission(
        team_id=TEAM_ID,
        user_id=user,
        callback_id=view["callback_id"],
        values=values,
        private_metadata=view.get("private_metadata", ""),
        view_id=view["id"],
        hash=view["hash"],
        blocks=view.get("blocks"),
    )


def control(bot: Bot, root: dict[str, Any], act: Act) -> str:
    """The value of one of the review message's buttons as the message shows it now."""
    message = next(m for m in bot.standin.messages("C0GENERAL") if m["ts"] == root["ts"])
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == act:
                return element["value"]
    raise AssertionError(f"no {act} button on the review message")


def click_body(bot: Bot, root: dict[str, Any], act: Act, value: str, **extra: Any) -> str:
    return p.block_actions(
        team_id=TEAM_ID,
        user_id="U0ALICE",
        action_id=act,
        value=value,
        channel_id="C0GENERAL",
        message_ts=root["ts"],
        trigger_id=p.new_trigger_id(),
        response_url=bot.standin.response_url(
            f"twice-{time.monotonic_ns()}", channel="C0GENERAL", user="U0ALICE"
        ),
        **extra,
    )


def index_of(session: Session) -> int:
    return fresh(session).exec(select(Review)).one().question_index


# --- Next and Back -----------------------------------------------------------------------


def test_next_twice_moves_once_and_tells_the_second_click_privately(
    bot: Bot, session: Session
) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    assert control(bot, root, Act.NEXT) == f"{r.review_id(root)}:0"
    thread_before = len(r.thread(bot, root))

    quiet(twice(bot, click_body(bot, root, Act.NEXT, control(bot, root, Act.NEXT))))

    assert index_of(session) == 1
    assert len(r.thread(bot, root)) == thread_before + 2  # one recap, one question
    refusals = [t for t in responded(bot) if "moved on" in t]
    assert len(refusals) == 1
    assert not apologies(bot)
    assert control(bot, root, Act.NEXT) == f"{r.review_id(root)}:1"


def test_back_twice_goes_back_one_question(bot: Bot, session: Session) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    for _ in range(2):
        bot.post_signed(click_body(bot, root, Act.NEXT, control(bot, root, Act.NEXT)))
        bot.settle()
    assert index_of(session) == 2
    thread_before = len(r.thread(bot, root))

    quiet(twice(bot, click_body(bot, root, Act.BACK, control(bot, root, Act.BACK))))

    assert index_of(session) == 1
    assert len(r.thread(bot, root)) == thread_before + 1  # the previous question, once
    assert not apologies(bot)


def test_a_button_without_the_index_still_moves(bot: Bot, session: Session) -> None:
    """A review message posted before the buttons carried their question still works."""
    root = r.start(bot, what="Checkout broke at 16:00")
    r.click(bot, root, Act.NEXT, value=r.review_id(root))
    r.click(bot, root, Act.NEXT, value=r.review_id(root))
    assert index_of(session) == 2


# --- Modal submissions -------------------------------------------------------------------


def test_the_start_modal_twice_creates_one_review(bot: Bot, session: Session) -> None:
    bot.command("Checkout outage")
    view = bot.last_view()
    before = posts(bot)

    quiet(twice(bot, submission(view, r.start_values(title="Checkout outage", what="It broke"))))

    assert count(session, Review) == 1
    assert count(session, Answer) == 1
    assert posts(bot) == before + 2  # the review message and its first question, once each
    assert count(session, ProcessedEvent, ProcessedEvent.event_id.startswith("view:")) == 1
    assert not apologies(bot)


def test_the_answer_modal_twice_stores_one_answer(bot: Bot, session: Session) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    r.click(bot, root, Act.ANSWER, value=f"{r.review_id(root)}:expected")
    view = bot.last_view()
    before, thread_before = count(session, Answer), len(r.thread(bot, root))
    values = {Block.ANSWER: {Block.ANSWER: p.text_value("Checkout stays up all evening")}}

    quiet(twice(bot, submission(view, values)))

    assert count(session, Answer) == before + 1
    assert len(r.thread(bot, root)) == thread_before + 1
    assert not apologies(bot)


def test_a_corrected_submission_of_the_same_view_goes_through(bot: Bot, session: Session) -> None:
    """A modal answered with errors keeps its view id and hash: the fixed one is applied."""
    root = r.start(bot, what="Checkout broke at 16:00")
    r.click(bot, root, Act.ANSWER, value=f"{r.review_id(root)}:expected")
    view = bot.last_view()
    before = count(session, Answer)
    empty = bot.post_signed(submission(view, {Block.ANSWER: {Block.ANSWER: p.text_value(None)}}))
    assert Block.ANSWER in empty.json()["errors"]
    claims = ProcessedEvent.event_id.startswith(f"view:{view['id']}:")
    assert count(session, ProcessedEvent, claims) == 0  # a refused submission claims nothing
    values = {Block.ANSWER: {Block.ANSWER: p.text_value("Checkout stays up")}}
    quiet([bot.post_signed(submission(view, values))])
    bot.settle()
    assert count(session, Answer) == before + 1
    assert count(session, ProcessedEvent, claims) == 1


def test_the_action_modal_twice_stores_one_action_and_one_nudge_plan(
    bot: Bot, session: Session
) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    r.click(bot, root, Act.ADD_ACTION)
    r.pick_user(bot, bot.last_view(), Block.OWNER, "U0BOB", user="U0ALICE")
    view = bot.last_view()
    thread_before = len(r.thread(bot, root))

    quiet(twice(bot, submission(view, r.action_values())))

    assert count(session, Action) == 1
    nudges = count(session, Nudge)
    assert nudges > 0
    action = session.exec(select(Action)).one()
    assert count(session, Nudge, Nudge.action_id == action.id) == nudges
    assert len(r.thread(bot, root)) == thread_before + 1
    assert not apologies(bot)


def test_share_twice_says_lesson_shared_once(bot: Bot, session: Session) -> None:
    from tests.bot.test_share import closed_review, open_share

    root = closed_review(bot)
    view = open_share(bot, root)
    cards_before = posts(bot, "C0LESSONS")

    quiet(twice(bot, submission(view, share_values())))

    shared = [m for m in r.thread(bot, root) if m.get("text") == "Lesson shared"]
    assert len(shared) == 1
    assert count(session, Lesson) == 1
    assert posts(bot, "C0LESSONS") == cards_before + 1
    assert not apologies(bot)


def test_the_perspective_modal_twice_is_counted_once(bot: Bot, session: Session) -> None:
    r.start(bot, participants=("U0BOB",), options=("perspectives",))
    dm = bot.standin.dm("U0BOB")[-1]
    value = next(
        e["value"]
        for block in dm["blocks"]
        for e in block.get("elements", [])
        if e.get("action_id") == Act.GIVE_PERSPECTIVE
    )
    bot.click(Act.GIVE_PERSPECTIVE, value=value, user="U0BOB", channel="DBOB")
    view = bot.last_view()
    values = {"q_expected": {"q_expected": p.text_value("Checkout stays up all evening")}}
    thanks_before = len(bot.standin.dm("U0BOB"))

    quiet(twice(bot, submission(view, values, user="U0BOB")))

    assert count(session, Answer, Answer.source == "private") == 1
    given = session.exec(select(Participant).where(Participant.user_id == "U0BOB")).one()
    assert given.perspective_at is not None
    assert len(bot.standin.dm("U0BOB")) == thanks_before + 1  # one thank-you
    assert not apologies(bot)


def test_the_outcome_modal_twice_completes_once(bot: Bot, session: Session) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    assert r.add_action(bot, root).status == 200
    action = session.exec(select(Action)).one()
    known(session, "U0BOB")
    open_home(bot, "U0BOB")
    click_on_home(bot, "U0BOB", Act.NUDGE_DONE, str(action.id))
    view = bot.last_view()
    assert view["callback_id"] == View.OUTCOME
    thread_before = len(r.thread(bot, root))

    values = r.outcome_values("The canary caught a bad build", "partly")
    quiet(twice(bot, submission(view, values, user="U0BOB")))

    assert fresh(session).get(Action, action.id).status == "done"
    assert len(r.thread(bot, root)) == thread_before + 1  # the unmet outcome, once
    assert not apologies(bot)


# --- Selects -----------------------------------------------------------------------------


def test_the_gap_type_chosen_again_posts_nothing(bot: Bot, session: Session) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    for _ in range(5):
        r.click(bot, root, Act.NEXT)
    bot.reply(ROOT_CAUSE, user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    rid = r.review_id(root)
    thread_before = len(r.thread(bot, root))
    updates_before = len(bot.standin.calls_to("chat.update"))
    body = click_body(
        bot, root, Act.GAP_TYPE, None, selected_option="process", block_id=f"q:{rid}:root_cause"
    )

    quiet(twice(bot, body))

    said = [m for m in r.thread(bot, root) if (m.get("text") or "").startswith("Gap type")]
    assert len(said) == 1
    assert len(r.thread(bot, root)) == thread_before + 1
    assert len(bot.standin.calls_to("chat.update")) == updates_before + 1
    assert fresh(session).exec(select(Review)).one().gap_type == "process"
    assert LESSON  # the share tests' lesson, imported with the walk above


# --- Triggers ----------------------------------------------------------------------------


def test_a_trigger_used_twice_is_logged_at_info_and_nobody_gets_an_apology(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    views_before = len(bot.standin.open_views)
    caplog.set_level(logging.INFO)
    caplog.clear()
    body = click_body(bot, root, Act.ANSWER, f"{r.review_id(root)}:expected")

    quiet(twice(bot, body))

    assert len(bot.standin.open_views) == views_before + 1
    refused = [c for c in bot.standin.calls_to("views.open") if c.error]
    assert [c.error for c in refused] == ["exchanged_trigger_id"]
    assert not apologies(bot)
    assert responded(bot) == []
    assert "Traceback" not in caplog.text
    assert not [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert any("already used" in rec.getMessage() for rec in caplog.records)


def test_an_expired_trigger_gets_a_private_try_again(bot: Bot) -> None:
    root = r.start(bot, what="Checkout broke at 16:00")
    bot.standin.fail_next("views.open", status=200, error="expired_trigger_id")
    r.click(bot, root, Act.ANSWER, value=f"{r.review_id(root)}:expected")
    said = [m for m in bot.standin.responses if "took too long" in str(m["body"])]
    assert len(said) == 1
    assert said[0]["response_type"] == "ephemeral"
    assert not apologies(bot)
