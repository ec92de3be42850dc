"""When Slack fails after someone typed something, what they typed is still stored."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.jobs.workers import drain
from bot.publish import drafts
from bot.slack.ids import Act
from bot.standin.driver import Bot
from storage.db import session_scope
from storage.models import Action, Answer, Job, JobStatus, Review
from storage.types import utcnow
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
    # Nobody is told to do it again: the update is still in the outbox, and runs once Slack is
    # back and its backoff has passed.
    assert not any("Sorry" in e["text"] for e in bot.standin.ephemerals("U0BOB"))
    with Session(bot.deps.engine) as own:
        (job,) = own.exec(select(Job)).all()
        assert job.status == JobStatus.PENDING
        assert job.attempts == 1
    bot.standin.heal("chat.update")
    drain(bot.deps, now=utcnow() + timedelta(minutes=1))
    with Session(bot.deps.engine) as own:
        assert own.exec(select(Job)).all() == []
    assert [a.text for a in session.exec(select(Answer))] == ["The deploy went out at 16:00"]


def test_an_action_survives_the_thread_post_failing(bot: Bot, session: Session) -> None:
    root = r.start(bot)
    bot.standin.fail_next("chat.postMessage", status=500, times=10)
    r.add_action(bot, root, what="Add a flag check to the deploy script")
    session.rollback()
    assert [a.what for a in session.exec(select(Action))] == [
        "Add a flag check to the deploy script"
    ]


@pytest.mark.parametrize("status", [500, 429])
def test_a_review_slack_will_not_take_is_kept_the_facilitator_told_and_it_is_posted_later(
    bot: Bot, session: Session, status: int
) -> None:
    bot.command("Payment retries doubled charges")
    # Slack keeps failing the post (429 with Retry-After, or 5xx) beyond the client's retries.
    bot.standin.fail_next("chat.postMessage", status=status, retry_after=0, times=10)
    response = bot.submit(bot.last_view(), r.start_values(title="Payment retries doubled charges"))
    assert response.status == 200
    assert not response.body  # the modal closed: what was typed is stored, not lost
    session.rollback()
    [review] = session.exec(select(Review)).all()
    assert review.title == "Payment retries doubled charges"
    assert review.message_ts is None  # kept as a draft
    told = bot.standin.responses[-1]
    assert told["response_type"] == "ephemeral"
    assert "It is saved, and I will post it in <#C0GENERAL>" in told["body"]["text"]

    bot.standin.heal("chat.postMessage")  # Slack is back
    later = replace(bot.deps, clock=lambda: utcnow() + drafts.RETRY_AFTER + timedelta(seconds=1))
    assert drafts.post_waiting(deps=later, client=bot.app.client) == 1
    session.rollback()
    session.refresh(review)
    assert review.message_ts is not None
    assert review.permalink
    posted = [m for m in bot.standin.messages("C0GENERAL") if m["ts"] == review.message_ts]
    assert "Payment retries doubled charges" in posted[0]["text"]
    # The thread got its first question, and a second run posts nothing twice.
    assert bot.standin.thread("C0GENERAL", review.message_ts)[1:]
    assert drafts.post_waiting(deps=later, client=bot.app.client) == 0


def test_a_fresh_draft_is_left_to_its_own_request(bot: Bot, session: Session) -> None:
    bot.command("Payment retries doubled charges")
    bot.standin.fail_next("chat.postMessage", status=500, times=10)
    bot.submit(bot.last_view(), r.start_values(title="Payment retries doubled charges"))
    bot.standin.heal("chat.postMessage")
    # Minutes old at most: its own request may still be posting it.
    assert drafts.post_waiting(deps=bot.deps, client=bot.app.client) == 0


def test_a_draft_waiting_for_an_invite_is_not_posted_by_the_retry(
    bot: Bot, session: Session
) -> None:
    bot.standin.add_channel("G0SECRET", "secret", is_private=True, bot_member=False)
    bot.command("Leak in the payroll export", channel="G0SECRET")
    bot.submit(bot.last_view(), r.start_values(title="Leak in the payroll export"))
    later = replace(bot.deps, clock=lambda: utcnow() + drafts.RETRY_AFTER + timedelta(seconds=1))
    assert drafts.post_waiting(deps=later, client=bot.app.client) == 0
    session.rollback()
    assert session.exec(select(Review)).one().message_ts is None


def test_a_draft_is_posted_once_when_the_invite_and_the_retry_race(
    bot: Bot, session: Session
) -> None:
    bot.standin.add_channel("G0SECRET", "secret", is_private=True, bot_member=False)
    bot.command("Leak in the payroll export", channel="G0SECRET")
    bot.submit(bot.last_view(), r.start_values(title="Leak in the payroll export"))
    review_id = session.exec(select(Review)).one().id
    bot.standin.add_channel("G0SECRET", "secret", is_private=True, bot_member=True)
    bot.standin.delay("chat.postMessage", 0.3)  # both are mid-post at the same time
    results: list[bool] = []

    def post() -> None:
        with session_scope(bot.deps.engine) as own:
            results.append(drafts.post_draft(bot.app.client, own, bot.deps, review_id))

    racers = [threading.Thread(target=post) for _ in range(3)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    bot.standin.delay("chat.postMessage", None)
    assert sorted(results) == [False, False, True]
    roots = [m for m in bot.standin.messages("G0SECRET") if m.get("thread_ts") in (None, m["ts"])]
    assert len(roots) == 1


def test_a_move_slack_fails_to_show_is_kept_and_shown_once_slack_is_back(
    bot: Bot, session: Session
) -> None:
    root = r.start(bot)
    posts_before = len(bot.standin.thread("C0GENERAL", root["ts"]))
    bot.standin.fail_next("chat.postMessage", status=500, times=10)
    r.click(bot, root, Act.NEXT)
    session.rollback()
    # The move is stored even though Slack never showed the recap or the next question...
    assert session.exec(select(Review)).one().question_index == 1
    # ...nobody is asked to click again, and the job waits out its backoff.
    assert not bot.standin.ephemerals("U0ALICE")
    bot.standin.heal("chat.postMessage")
    drain(bot.deps, now=utcnow() + timedelta(minutes=1))
    session.rollback()
    # The retry showed the move it had made, and did not make it again.
    assert session.exec(select(Review)).one().question_index == 1
    thread = bot.standin.thread("C0GENERAL", root["ts"])
    assert len(thread) == posts_before + 2  # the recap and the second question, once each
    with Session(bot.deps.engine) as own:
        assert own.exec(select(Job)).all() == []
