"""Repeat detection: similar past reviews shown on start, "Same failure again", escalation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from bot.slack.ids import Act
from bot.standin import SlackStandIn
from bot.standin.driver import Bot
from bot.standin.state import TEAM_ID as TEAM
from storage import reviews as store
from storage.models import Answer, Escalation, RepeatCheck, Review, Stage
from storage.types import utcnow
from tests.bot import reviewing as r

NEW_TITLE = "Checkout down again after the Friday deploy"
NEW_WHAT = "Checkout broke after the Friday deploy because the payment feature flag was left on"


def past_review(
    session: Session,
    title: str,
    happened: str,
    *,
    root_cause: str = "Nobody checked the feature flag state before the deploy",
    lesson: str | None = "Check flag state before every deploy",
    action_done: bool = False,
    team_id: str = TEAM,
    channel_id: str = "C0GENERAL",
    confidential: bool = False,
    repeat_of: Review | None = None,
    days_ago: int = 10,
) -> Review:
    """A closed review stored directly, as an earlier week's review would be."""
    review = store.create_review(
        session=session,
        team_id=team_id,
        template="miss",
        kind="miss",
        title=title,
        channel_id=channel_id,
        facilitator_id="U0ALICE",
        confidential=confidential,
    )
    review.stage = Stage.CLOSED
    review.gap_type = "process"
    review.created_at = utcnow() - timedelta(days=days_ago)
    review.permalink = f"https://example.slack.com/archives/{channel_id}/p{review.id}"
    review.repeat_of_id = repeat_of.id if repeat_of else None
    for key, text in (("actual", happened), ("root_cause", root_cause), ("lesson", lesson)):
        if text:
            store.add_answer(
                session=session,
                review_id=review.id,
                question_key=key,
                author_id="U0BOB",
                text=text,
                source="thread",
            )
    action = store.add_action(
        session=session,
        review_id=review.id,
        what=f"Add a flag check to the deploy script (after {title})",
        owner_id="U0BOB",
        owner_tz="UTC",
        review_date=utcnow().date() + timedelta(days=7),
        success_criterion="No deploy with a stale flag for 30 days",
        kind="fix",
        specificity=4,
        created_by="U0ALICE",
    )
    if action_done:
        action.status = "done"
    session.commit()
    return review


def suggestions(bot: Bot, root: dict[str, Any]) -> list[dict[str, Any]]:
    """The thread messages that offer similar past reviews."""
    return [m for m in r.thread(bot, root) if "may have happened before" in str(m.get("blocks"))]


def same_failure(bot: Bot, root: dict[str, Any], past: Review, *, user: str = "U0ALICE"):
    """Click "Same failure again" next to a past review."""
    value = f"{r.review_id(root)}:{past.id}"
    return r.click(bot, root, Act.SAME_FAILURE, user=user, value=value)


def test_similar_past_reviews_are_shown_once_when_what_happened_is_known(
    bot: Bot, session: Session
) -> None:
    past_review(
        session,
        "Checkout outage after Friday deploy",
        "Checkout broke at 16:00 after the deploy; the payment flag was on",
        action_done=True,
    )
    past_review(
        session,
        "Newsletter sent twice",
        "The marketing email went out twice to everyone",
        root_cause="The mailing job was scheduled in two time zones",
    )
    past_review(session, "Checkout outage in another workspace", NEW_WHAT, team_id="T0ELSEWHERE")

    root = r.start(bot, NEW_TITLE, what=NEW_WHAT)
    offered = suggestions(bot, root)
    assert len(offered) == 1
    shown = str(offered[0]["blocks"])
    assert "Checkout outage after Friday deploy" in shown
    assert "Nobody checked the feature flag state" in shown  # its root cause
    assert "Check flag state before every deploy" in shown  # its lesson
    assert "all 1 action done" in shown
    assert "Same failure again" in shown
    assert "Newsletter" not in shown
    assert "another workspace" not in shown

    # More replies do not post the suggestions again.
    bot.reply(
        "We expected a quiet release", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    assert len(suggestions(bot, root)) == 1
    assert len(session.exec(select(RepeatCheck)).all()) == 1


def test_suggestions_wait_until_someone_says_what_happened(bot: Bot, session: Session) -> None:
    past_review(session, "Checkout outage after Friday deploy", NEW_WHAT)
    root = r.start(bot, NEW_TITLE)  # no "what happened" in the modal
    assert suggestions(bot, root) == []
    r.click(bot, root, Act.NEXT)  # to "What actually happened?"
    bot.reply(NEW_WHAT, user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    assert len(suggestions(bot, root)) == 1


def test_a_confidential_review_elsewhere_is_never_offered(bot: Bot, session: Session) -> None:
    past_review(
        session,
        "Checkout outage after Friday deploy",
        NEW_WHAT,
        channel_id="G0SECRET",
        confidential=True,
    )
    root = r.start(bot, NEW_TITLE, what=NEW_WHAT)
    assert suggestions(bot, root) == []
    assert session.exec(select(RepeatCheck)).one().similar_ids == ""


def test_a_confidential_review_in_this_channel_is_offered_without_its_answers(
    bot: Bot, session: Session
) -> None:
    past_review(session, "Checkout outage after Friday deploy", NEW_WHAT, confidential=True)
    root = r.start(bot, NEW_TITLE, what=NEW_WHAT)
    offered = suggestions(bot, root)
    assert len(offered) == 1
    shown = str(offered[0]["blocks"])
    assert "Checkout outage after Friday deploy" in shown
    assert "Nobody checked the feature flag state" not in shown  # its root cause
    assert "Check flag state before every deploy" not in shown  # its lesson
    assert "kept private: confidential review" in shown
    assert "Same failure again" in shown


def test_only_the_facilitator_marks_a_repeat(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    past = past_review(session, "Checkout outage after Friday deploy", NEW_WHAT)
    root = r.start(bot, NEW_TITLE, what=NEW_WHAT, participants=("U0BOB",))
    same_failure(bot, root, past, user="U0BOB")
    assert "Only the facilitator" in str(standin.ephemerals("U0BOB"))
    review = session.exec(select(Review).where(Review.title == NEW_TITLE)).one()
    assert review.repeat_of_id is None

    same_failure(bot, root, past)
    session.rollback()  # end this session's read snapshot to see the app's writes
    assert session.get(Review, review.id).repeat_of_id == past.id
    assert "marked this review as the same failure" in str(r.thread(bot, root)[-1])
    # Two reviews are not yet a pattern: nothing is escalated.
    assert session.exec(select(Escalation)).all() == []


def test_a_third_repeat_in_the_window_is_escalated_to_the_leads_channel(
    make_bot, session: Session, standin: SlackStandIn
) -> None:
    standin.add_channel("C0LEADS", "leads", members=("U0ALICE",))
    bot = make_bot(leads_channel="C0LEADS", leads=("U0CAROL",))
    first = past_review(session, "Checkout outage after Friday deploy", NEW_WHAT, days_ago=60)
    second = past_review(
        session, "Checkout outage after the next deploy", NEW_WHAT, repeat_of=first, days_ago=20
    )
    root = r.start(bot, NEW_TITLE, what=NEW_WHAT)
    assert str(second.id) in session.exec(select(RepeatCheck)).one().similar_ids

    same_failure(bot, root, second)
    session.rollback()  # end this session's read snapshot to see the app's writes
    posted = standin.messages("C0LEADS")
    assert len(posted) == 1
    shown = str(posted[0]["blocks"])
    assert "3 times in 90 days" in shown
    for title in ("Checkout outage after Friday deploy", "Checkout outage after the next deploy"):
        assert title in shown
    assert NEW_TITLE in shown
    # The actions agreed after the earlier reviews, which did not prevent this one.
    assert "after Checkout outage after Friday deploy" in shown
    assert "after Checkout outage after the next deploy" in shown
    assert "escalated to <#C0LEADS>" in str(r.thread(bot, root)[-1])
    escalation = session.exec(select(Escalation)).one()
    assert escalation.chain_ids == f"{first.id},{second.id},{r.review_id(root)}"
    assert (escalation.channel_id, escalation.message_ts) == ("C0LEADS", posted[0]["ts"])

    # Clicking again changes nothing: one escalation per review.
    same_failure(bot, root, second)
    assert len(standin.messages("C0LEADS")) == 1


def test_a_chain_older_than_the_window_is_not_escalated(
    make_bot, session: Session, standin: SlackStandIn
) -> None:
    bot = make_bot(leads=("U0CAROL",), repeat_window_days=30)
    first = past_review(session, "Checkout outage after Friday deploy", NEW_WHAT, days_ago=60)
    second = past_review(
        session, "Checkout outage after the next deploy", NEW_WHAT, repeat_of=first, days_ago=20
    )
    root = r.start(bot, NEW_TITLE, what=NEW_WHAT)
    same_failure(bot, root, second)
    assert session.exec(select(Escalation)).all() == []
    assert "times in" not in str(standin.dm("U0CAROL"))


def test_without_a_leads_channel_each_lead_gets_a_dm_with_confidential_reviews_shown(
    make_bot, session: Session, standin: SlackStandIn
) -> None:
    bot = make_bot(leads=("U0CAROL",), repeat_threshold=2)
    past = past_review(session, "Checkout outage after Friday deploy", NEW_WHAT)
    root = r.start(bot, NEW_TITLE, what=NEW_WHAT, options=("confidential",))
    same_failure(bot, root, past)
    shown = str(standin.dm("U0CAROL"))
    assert "2 times in 90 days" in shown
    assert NEW_TITLE in shown  # a lead reading alone sees the confidential review


def test_a_confidential_review_is_redacted_in_the_leads_channel(
    make_bot, session: Session, standin: SlackStandIn
) -> None:
    standin.add_channel("C0LEADS", "leads", members=("U0ALICE",))
    bot = make_bot(leads_channel="C0LEADS", repeat_threshold=2)
    past = past_review(session, "Checkout outage after Friday deploy", NEW_WHAT)
    root = r.start(bot, NEW_TITLE, what=NEW_WHAT, options=("confidential",))
    same_failure(bot, root, past)
    shown = str(standin.messages("C0LEADS"))
    assert "a confidential review" in shown
    assert NEW_TITLE not in shown
    assert "Checkout outage after Friday deploy" in shown


def test_a_failed_suggestion_post_keeps_the_answer_and_tries_again(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    past_review(session, "Checkout outage after Friday deploy", NEW_WHAT)
    root = r.start(bot, NEW_TITLE)
    r.click(bot, root, Act.NEXT)  # to "What actually happened?"
    standin.fail_next("chat.postMessage", status=200, error="fatal_error")
    bot.reply(NEW_WHAT, user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    session.rollback()
    mine = select(Answer).where(Answer.review_id == int(r.review_id(root)))
    assert [a.text for a in session.exec(mine).all()] == [NEW_WHAT]
    assert session.exec(select(RepeatCheck)).all() == []
    assert suggestions(bot, root) == []

    bot.reply(
        "And the rollback took an hour", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    assert len(suggestions(bot, root)) == 1
