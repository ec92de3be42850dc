"""Who may steer a review, what closing needs, and each Add-action rule, through the real app."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.runtime.deps import Deps
from bot.slack.ids import Act, Block
from bot.standin import SlackStandIn
from bot.standin.driver import Bot
from storage.models import Action, Answer, Review
from tests.bot import reviewing as r
from tests.conftest import SIGNING_SECRET

# 15:30 UTC on 10 March 2026: still the 10th in New York (11:30), already the 11th in Tokyo.
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
BOB_TODAY = date(2026, 3, 10)


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join((m.get("text") or "") + json.dumps(m.get("blocks") or []) for m in messages)


def _told(standin: SlackStandIn, user: str) -> str:
    """Everything shown ephemerally to one person (response_url and chat.postEphemeral)."""
    return _texts(standin.ephemerals(user))


def _stage(session: Session) -> str:
    session.rollback()  # end the read transaction so the app's later commits are seen
    return session.exec(select(Review)).one().stage


def _to_root_cause(bot: Bot, root: dict[str, Any]) -> None:
    """Move a miss review from the first question to the root cause."""
    for _ in range(5):
        r.click(bot, root, Act.NEXT)


def _ready_to_close(bot: Bot, root: dict[str, Any]) -> None:
    """A miss review with a root cause, a gap type and an action, on the actions question."""
    _to_root_cause(bot, root)
    bot.reply(
        "No flag check before rollout", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    rid = r.review_id(root)
    r.click(bot, root, Act.GAP_TYPE, selected_option="process", block_id=f"q:{rid}:root_cause")
    r.click(bot, root, Act.NEXT)
    assert r.add_action(bot, root).status == 200


@pytest.fixture
def fixed_bot(deps: Deps, standin: SlackStandIn):
    """The app with its clock stopped at NOW."""
    harness = Bot(deps=replace(deps, clock=lambda: NOW), standin=standin, secret=SIGNING_SECRET)
    yield harness
    harness.settle()
    harness.executor.shutdown(wait=True)


# --- the success template ---------------------------------------------------------------


def _success_to_practices(bot: Bot) -> dict[str, Any]:
    root = r.start(bot, "Launch went smoothly", template="success", participants=("U0BOB",))
    for author, text in [
        ("U0ALICE", "The launch ships without a rollback"),
        ("U0BOB", "It shipped on time with zero rollbacks"),
        ("U0BOB", "The rehearsal the day before caught two config mistakes"),
        ("U0ALICE", "Luck: quiet traffic. Repeatable: the rehearsal"),
    ]:
        bot.reply(text, user=author, channel="C0GENERAL", thread_ts=root["ts"])
        r.click(bot, root, Act.NEXT)
    return root


def test_a_success_review_closes_with_a_practice_to_keep(bot: Bot, session: Session) -> None:
    root = _success_to_practices(bot)
    response = r.add_action(
        bot,
        root,
        what="Run a launch rehearsal the day before every launch",
        criterion="Every launch this quarter has a rehearsal on the calendar",
        kind="practice",
    )
    assert response.status == 200
    assert not response.body
    r.click(bot, root, Act.NEXT)
    bot.reply(
        "Rehearsals pay for themselves", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    r.click(bot, root, Act.CLOSE)

    assert _stage(session) == "closed"
    action = session.exec(select(Action)).one()
    assert action.kind == "practice"
    keys = {a.question_key for a in session.exec(select(Answer)).all()}
    assert {"expected", "actual", "what_worked", "luck_vs_repeatable", "lesson"} <= keys
    summary = _texts([r.thread(bot, root)[-1]])
    assert "Summary" in summary
    assert "Run a launch rehearsal the day before every launch" in summary


def test_a_success_review_without_a_practice_cannot_close(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = _success_to_practices(bot)
    r.click(bot, root, Act.CLOSE)
    assert "practice to keep" in _told(standin, "U0ALICE")
    assert _stage(session) == "actions"


def test_a_success_review_with_only_a_fix_still_needs_a_practice(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = _success_to_practices(bot)
    assert r.add_action(bot, root, kind="fix").status == 200
    r.click(bot, root, Act.CLOSE)
    assert "practice to keep" in _told(standin, "U0ALICE")
    assert _stage(session) == "actions"


# --- who may steer ------------------------------------------------------------------------


def test_only_the_facilitator_may_close_or_move_on(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot, participants=("U0BOB",))
    _ready_to_close(bot, root)
    before = len(r.thread(bot, root))

    r.click(bot, root, Act.CLOSE, user="U0BOB")
    r.click(bot, root, Act.NEXT, user="U0BOB")

    told = _told(standin, "U0BOB")
    assert "Only the facilitator" in told
    assert "close this review" in told
    assert "move the review on" in told
    assert all(resp["response_type"] == "ephemeral" for resp in standin.responses)
    assert len(r.thread(bot, root)) == before
    review = session.exec(select(Review)).one()
    assert review.stage == "actions"
    assert review.question_index == 6


def test_a_lead_may_close(
    bot: Bot, deps: Deps, standin: SlackStandIn, session: Session, make_settings
) -> None:
    root = r.start(bot, participants=("U0BOB",))
    _ready_to_close(bot, root)
    lead_bot = Bot(
        deps=replace(deps, settings=make_settings(leads=("U0BOB",))),
        standin=standin,
        secret=SIGNING_SECRET,
    )
    try:
        r.click(lead_bot, root, Act.CLOSE, user="U0BOB")
    finally:
        lead_bot.executor.shutdown(wait=True)
    assert _stage(session) == "closed"
    assert "Summary" in _texts([r.thread(bot, root)[-1]])


# --- what closing needs --------------------------------------------------------------------


def test_closing_names_everything_that_is_missing(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot)
    r.click(bot, root, Act.CLOSE)
    told = _told(standin, "U0ALICE")
    assert "root cause" in told
    assert "gap type" in told
    assert "corrective action" in told
    assert _stage(session) == "discussion"


def test_closing_without_only_the_action_names_only_the_action(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot)
    _to_root_cause(bot, root)
    bot.reply(
        "No flag check before rollout", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    rid = r.review_id(root)
    r.click(bot, root, Act.GAP_TYPE, selected_option="context", block_id=f"q:{rid}:root_cause")
    r.click(bot, root, Act.CLOSE)
    told = _told(standin, "U0ALICE")
    assert "corrective action" in told
    assert "root cause" not in told
    assert "gap type" not in told
    assert _stage(session) == "discussion"


def test_closing_without_a_gap_type_says_so(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot)
    _to_root_cause(bot, root)
    bot.reply(
        "No flag check before rollout", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
    )
    r.click(bot, root, Act.NEXT)
    assert r.add_action(bot, root).status == 200
    r.click(bot, root, Act.CLOSE)
    told = _told(standin, "U0ALICE")
    assert "gap type" in told
    assert "corrective action" not in told
    assert _stage(session) == "actions"


# --- the Add action modal --------------------------------------------------------------------


def _errors(bot: Bot, root: dict[str, Any], **fields: Any) -> dict[str, str]:
    response = r.add_action(bot, root, **fields)
    assert response.status == 200
    body = response.json()
    assert body, response.body
    assert body["response_action"] == "errors", response.body
    return body["errors"]


@pytest.mark.parametrize(
    ("fields", "block"),
    [
        ({"owner": "U0CAROL", "review_date": BOB_TODAY}, Block.REVIEW_DATE),
        ({"review_date": BOB_TODAY + timedelta(days=366)}, Block.REVIEW_DATE),
        ({"owner": "U0OTHERBOT"}, Block.OWNER),
        ({"owner": "U0DEACT"}, Block.OWNER),
        ({"what": ""}, Block.WHAT),
        ({"what": "   "}, Block.WHAT),
        ({"criterion": ""}, Block.CRITERION),
        ({"criterion": "  "}, Block.CRITERION),
        ({"what": "Add " + "a" * 300}, Block.WHAT),
    ],
    ids=[
        "past-for-owner",
        "over-a-year",
        "bot",
        "deactivated",
        "empty",
        "blank",
        "criterion",
        "blank-criterion",
        "too-long",
    ],
)
def test_each_action_rule_is_answered_on_its_own_field(
    fixed_bot: Bot, session: Session, fields: dict[str, Any], block: str
) -> None:
    root = r.start(fixed_bot)
    fields.setdefault("review_date", BOB_TODAY + timedelta(days=14))
    errors = _errors(fixed_bot, root, **fields)
    assert list(errors) == [block]
    assert errors[block]
    assert session.exec(select(Action)).all() == []


def test_the_review_date_is_checked_in_the_owners_time_zone(
    fixed_bot: Bot, session: Session
) -> None:
    root = r.start(fixed_bot)
    # The 10th is today in New York: fine for Bob, but already yesterday in Tokyo for Carol.
    assert not r.add_action(fixed_bot, root, owner="U0BOB", review_date=BOB_TODAY).body
    errors = _errors(fixed_bot, root, owner="U0CAROL", review_date=BOB_TODAY)
    assert list(errors) == [Block.REVIEW_DATE]
    assert not r.add_action(
        fixed_bot, root, owner="U0CAROL", review_date=BOB_TODAY + timedelta(days=1)
    ).body
    assert not r.add_action(
        fixed_bot, root, owner="U0BOB", review_date=BOB_TODAY + timedelta(days=365)
    ).body
    owners = sorted(a.owner_id for a in session.exec(select(Action)).all())
    assert owners == ["U0BOB", "U0BOB", "U0CAROL"]


def test_a_vague_action_is_accepted_with_a_hint(bot: Bot, session: Session) -> None:
    root = r.start(bot)
    response = r.add_action(bot, root, what="Be more careful", criterion="fewer bugs")
    assert not response.body
    action = session.exec(select(Action)).one()
    assert action.what == "Be more careful"
    vague = _texts([r.thread(bot, root)[-1]])
    assert "Be more careful" in vague
    assert "Could be more specific" in vague

    assert not r.add_action(bot, root).body
    assert "Could be more specific" not in _texts([r.thread(bot, root)[-1]])


# --- /aar list, reopen, restart -------------------------------------------------------------


def test_aar_list_shows_the_channels_open_reviews(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    closed = r.start(bot, "An old review")
    _ready_to_close(bot, closed)
    r.click(bot, closed, Act.CLOSE)
    r.start(bot, "Checkout outage after Friday deploy")
    r.start(bot, "Slow search after reindex")

    response = bot.command("list")
    assert response.status == 200
    assert not response.body  # the list needs the database: it comes after the ack
    answer = bot.standin.responses[-1]
    assert answer["response_type"] == "ephemeral"
    shown = _texts([answer["body"]])
    assert "Checkout outage after Friday deploy" in shown
    assert "Slow search after reindex" in shown
    assert "An old review" not in shown
    for review in session.exec(select(Review)).all():
        if review.stage != "closed":
            assert review.permalink
            assert review.permalink in shown


def test_the_facilitator_reopens_a_closed_review(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot, participants=("U0BOB",))
    _ready_to_close(bot, root)
    r.click(bot, root, Act.CLOSE)
    assert _stage(session) == "closed"

    r.click(bot, root, Act.REOPEN, user="U0BOB")
    assert "Only the facilitator" in _told(standin, "U0BOB")
    assert _stage(session) == "closed"

    r.click(bot, root, Act.REOPEN)
    assert _stage(session) != "closed"
    assert "reopened" in _texts([r.thread(bot, root)[-1]])
    r.click(bot, root, Act.CLOSE)
    assert _stage(session) == "closed"


def test_a_review_continues_after_a_restart(
    bot: Bot, deps: Deps, standin: SlackStandIn, session: Session
) -> None:
    root = r.start(bot, participants=("U0BOB",))
    bot.reply("Checkout stays up", user="U0ALICE", channel="C0GENERAL", thread_ts=root["ts"])
    r.click(bot, root, Act.NEXT)
    bot.settle()
    bot.executor.shutdown(wait=True)

    restarted = Bot(deps=deps, standin=standin, secret=SIGNING_SECRET)
    try:
        restarted.reply(
            "500s for 40 minutes", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"]
        )
        for _ in range(4):
            r.click(restarted, root, Act.NEXT)
        restarted.reply("No flag check", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
        rid = r.review_id(root)
        r.click(
            restarted, root, Act.GAP_TYPE, selected_option="process", block_id=f"q:{rid}:root_cause"
        )
        r.click(restarted, root, Act.NEXT)
        assert not r.add_action(restarted, root).body
        r.click(restarted, root, Act.CLOSE)
    finally:
        restarted.settle()
        restarted.executor.shutdown(wait=True)

    assert _stage(session) == "closed"
    by_key = {a.question_key: a.text for a in session.exec(select(Answer)).all()}
    assert by_key["expected"] == "Checkout stays up"
    assert by_key["actual"] == "500s for 40 minutes"
    assert by_key["root_cause"] == "No flag check"
    assert "Summary" in _texts([r.thread(bot, root)[-1]])


def test_a_click_from_another_workspace_finds_no_review(
    bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    root = r.start(bot, participants=("U0BOB",))
    bot.click(Act.NEXT, value=r.review_id(root), user="U0EVE", channel="C0GENERAL", team="T0OTHER")
    assert "no longer exists" in _told(standin, "U0EVE")
    assert session.exec(select(Review)).one().question_index == 0
