"""The nudge DM's Done / Reschedule / Drop buttons and their modals, through the real app."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.runtime.deps import Deps
from bot.slack.blocks.followup import nudge_buttons
from bot.slack.ids import Act, Block, View
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from storage.models import Action, Nudge, NudgeStatus, Review
from storage.nudges import nudges_of
from tests.bot import reviewing as r
from tests.conftest import SIGNING_SECRET

# A Tuesday; in New York (Bob, the owner) it is 11:30, daylight saving time began on the 8th.
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
DUE = date(2026, 3, 24)
NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Nudged:
    """A review with one action owned by Bob, and the DM the bot sent him about it."""

    root: dict[str, Any]
    action_id: int
    channel: str
    ts: str


@pytest.fixture
def fixed_bot(deps: Deps, standin: SlackStandIn):
    """The app with its clock stopped at NOW."""
    harness = Bot(deps=replace(deps, clock=lambda: NOW), standin=standin, secret=SIGNING_SECRET)
    yield harness
    harness.settle()
    harness.executor.shutdown(wait=True)


def _texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(
        (m.get("text") or "") + json.dumps(m.get("blocks") or [], ensure_ascii=False)
        for m in messages
    )


def _action(session: Session) -> Action:
    session.rollback()  # end the read transaction so the app's later commits are seen
    return session.exec(select(Action)).one()


def _pending(session: Session, action_id: int) -> list[Nudge]:
    session.rollback()
    nudges = nudges_of(session=session, action_id=action_id)
    return [n for n in nudges if n.status == NudgeStatus.PENDING]


def _send_dm(standin: SlackStandIn, action_id: int, owner: str = "U0BOB") -> tuple[str, str]:
    """Post the nudge DM with its three buttons, as the sweep would."""
    client = WebClient(token="xoxb-test-token", base_url=standin.base_url)
    channel = client.conversations_open(users=owner)["channel"]["id"]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Your action is due"}},
        nudge_buttons(Action(id=action_id, review_id=0, what="", owner_id=owner)).to_dict(),
    ]
    posted = client.chat_postMessage(channel=channel, text="Your action is due", blocks=blocks)
    return channel, posted["ts"]


def _nudged(bot: Bot, session: Session) -> Nudged:
    root = r.start(bot)
    response = r.add_action(bot, root, what="Add a canary <!channel> stage", review_date=DUE)
    assert response.status == 200
    assert not response.body, response.body
    action_id = _action(session).id
    channel, ts = _send_dm(bot.standin, action_id)
    return Nudged(root=root, action_id=action_id, channel=channel, ts=ts)


def _click(bot: Bot, dm: Nudged, act: Act, *, user: str = "U0BOB") -> None:
    bot.click(act, value=str(dm.action_id), user=user, channel=dm.channel, message_ts=dm.ts)


def _dm_message(bot: Bot, dm: Nudged) -> dict[str, Any]:
    return next(m for m in bot.standin.messages(dm.channel) if m["ts"] == dm.ts)


def _buttons(message: dict[str, Any]) -> set[str]:
    return {
        e["action_id"]
        for b in message.get("blocks") or []
        for e in b.get("elements") or []
        if e.get("type") == "button"
    }


def _outcome_values(what: str, met: str | None, notes: str = "") -> dict[str, Any]:
    return r.outcome_values(what, met, notes)


def _done(bot: Bot, dm: Nudged, met: str, *, user: str = "U0BOB", notes: str = ""):
    _click(bot, dm, Act.NUDGE_DONE, user=user)
    view = bot.last_view()
    assert view["callback_id"] == View.OUTCOME
    values = _outcome_values("Canary caught a bad build <!here>", met, notes)
    return bot.submit(view, values, user=user)


def _errors(response) -> dict[str, str]:
    assert response.status == 200
    body = response.json()
    assert body["response_action"] == "errors", body
    return body["errors"]


def test_done_by_the_owner_stores_the_outcome_and_cancels_the_nudges(
    fixed_bot: Bot, session: Session
) -> None:
    dm = _nudged(fixed_bot, session)
    assert _pending(session, dm.action_id)

    _click(fixed_bot, dm, Act.NUDGE_DONE)
    view = fixed_bot.last_view()
    meta = json.loads(view["private_metadata"])
    assert meta == {"action": dm.action_id, "channel": dm.channel, "ts": dm.ts}
    shown = json.dumps(view["blocks"])
    assert "&lt;!channel&gt;" in shown
    assert "<!channel>" not in shown

    values = _outcome_values("Canary caught a bad build", "yes", "Kept it on")
    response = fixed_bot.submit(view, values, user="U0BOB")
    assert response.status == 200
    assert not response.body, response.body

    action = _action(session)
    assert action.status == "done"
    assert (action.outcome, action.outcome_summary, action.outcome_notes) == (
        "yes",
        "Canary caught a bad build",
        "Kept it on",
    )
    assert action.completed_at == NOW  # the app's clock, not the wall clock
    assert _pending(session, dm.action_id) == []
    message = _dm_message(fixed_bot, dm)
    assert "✅ Done · criterion met" in _texts([message])
    assert _buttons(message) == set()
    # a met criterion needs no follow-up in the thread
    assert "Add follow-up action" not in _texts(r.thread(fixed_bot, dm.root))
    review = next(m for m in fixed_bot.standin.messages("C0GENERAL") if m["ts"] == dm.root["ts"])
    assert "✅ done · criterion met" in _texts([review])


def test_an_unmet_outcome_goes_to_the_thread_with_a_follow_up_button(
    fixed_bot: Bot, session: Session
) -> None:
    dm = _nudged(fixed_bot, session)
    response = _done(fixed_bot, dm, "no", notes="Needs <@U0CAROL>'s review")
    assert not response.body, response.body

    posted = r.thread(fixed_bot, dm.root)[-1]
    text = _texts([posted])
    assert "criterion not met" in text
    assert "Canary caught a bad build &lt;!here&gt;" in text
    assert "<!here>" not in text
    assert "&lt;@U0CAROL&gt;" in text
    follow_up = [
        e
        for b in posted["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == Act.ADD_ACTION
    ]
    assert [e["value"] for e in follow_up] == [f"{r.review_id(dm.root)}:follow_up"]
    assert "✅ Done · criterion not met" in _texts([_dm_message(fixed_bot, dm)])

    # Outcomes usually come after the review closed: the follow-up still opens, for the
    # facilitator only, without reopening the review.
    session.rollback()  # drop the test's old read snapshot before writing
    review = session.exec(select(Review)).one()
    review.stage = "closed"
    session.commit()
    value = follow_up[0]["value"]
    opened = len(fixed_bot.standin.open_views)
    fixed_bot.click(Act.ADD_ACTION, value=value, user="U0CAROL", channel="C0GENERAL")
    assert len(fixed_bot.standin.open_views) == opened
    assert "facilitator" in fixed_bot.standin.responses[-1]["body"]["text"]
    fixed_bot.click(Act.ADD_ACTION, value=value, user="U0ALICE", channel="C0GENERAL")
    assert fixed_bot.last_view()["callback_id"] == "aar_action_modal"


def test_a_missing_outcome_is_answered_on_its_fields(fixed_bot: Bot, session: Session) -> None:
    dm = _nudged(fixed_bot, session)
    _click(fixed_bot, dm, Act.NUDGE_DONE)
    errors = _errors(fixed_bot.submit(fixed_bot.last_view(), _outcome_values("  ", None)))
    assert set(errors) == {Block.OUTCOME, Block.CRITERION_MET}
    assert _action(session).status == "open"


def test_someone_else_is_refused_and_nothing_changes(
    fixed_bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    dm = _nudged(fixed_bot, session)
    views_before = len(standin.open_views)
    for act in (Act.NUDGE_DONE, Act.NUDGE_RESCHEDULE, Act.NUDGE_DROP):
        _click(fixed_bot, dm, act, user="U0CAROL")
    assert len(standin.open_views) == views_before
    told = _texts(standin.ephemerals("U0CAROL"))
    assert told.count("Only the owner") == 3
    assert _action(session).status == "open"
    assert _buttons(_dm_message(fixed_bot, dm)) == {
        Act.NUDGE_DONE,
        Act.NUDGE_RESCHEDULE,
        Act.NUDGE_DROP,
    }


def test_someone_else_submitting_an_opened_modal_is_refused(
    fixed_bot: Bot, session: Session
) -> None:
    dm = _nudged(fixed_bot, session)
    _click(fixed_bot, dm, Act.NUDGE_DROP)
    response = fixed_bot.submit(
        fixed_bot.last_view(),
        {Block.REASON: {Block.REASON: p.text_value("Not mine")}},
        user="U0CAROL",
    )
    assert "Only the owner" in _errors(response)[Block.REASON]
    assert _action(session).status == "open"


def test_the_facilitator_may_use_the_buttons(fixed_bot: Bot, session: Session) -> None:
    dm = _nudged(fixed_bot, session)
    response = _done(fixed_bot, dm, "partly", user="U0ALICE")
    assert not response.body, response.body
    action = _action(session)
    assert (action.status, action.outcome) == ("done", "partly")
    assert "criterion partly met" in _texts(r.thread(fixed_bot, dm.root))


def test_a_stale_done_is_refused_and_the_dm_shows_the_state(
    fixed_bot: Bot, session: Session, standin: SlackStandIn
) -> None:
    dm = _nudged(fixed_bot, session)
    _done(fixed_bot, dm, "yes")
    old_dm = Nudged(dm.root, dm.action_id, *_send_dm(standin, dm.action_id))
    views_before = len(standin.open_views)

    _click(fixed_bot, old_dm, Act.NUDGE_DONE)

    assert len(standin.open_views) == views_before
    assert "already done" in _texts(standin.ephemerals("U0BOB"))
    assert _buttons(_dm_message(fixed_bot, old_dm)) == set()
    assert "✅ Done · criterion met" in _texts([_dm_message(fixed_bot, old_dm)])


def test_a_stale_outcome_modal_cannot_complete_twice(fixed_bot: Bot, session: Session) -> None:
    dm = _nudged(fixed_bot, session)
    _click(fixed_bot, dm, Act.NUDGE_DONE)
    first = fixed_bot.last_view()
    _click(fixed_bot, dm, Act.NUDGE_DONE)
    second = fixed_bot.last_view()
    assert not fixed_bot.submit(first, _outcome_values("Worked", "yes"), user="U0BOB").body
    errors = _errors(fixed_bot.submit(second, _outcome_values("Again", "no"), user="U0BOB"))
    assert "already done" in errors[Block.OUTCOME]
    assert _action(session).outcome == "yes"


def test_reschedule_replans_the_nudges_in_the_owners_zone(fixed_bot: Bot, session: Session) -> None:
    dm = _nudged(fixed_bot, session)
    old = {n.id for n in _pending(session, dm.action_id)}
    _click(fixed_bot, dm, Act.NUDGE_RESCHEDULE)
    view = fixed_bot.last_view()
    assert view["callback_id"] == View.RESCHEDULE
    picker = next(b for b in view["blocks"] if b.get("block_id") == Block.REVIEW_DATE)
    assert picker["element"]["initial_date"] == DUE.isoformat()

    new_date = date(2026, 4, 2)  # a Thursday
    values = {Block.REVIEW_DATE: {Block.REVIEW_DATE: p.date_value(new_date.isoformat())}}
    response = fixed_bot.submit(view, values, user="U0BOB")
    assert not response.body, response.body

    action = _action(session)
    assert action.review_date == new_date
    pending = _pending(session, dm.action_id)
    assert pending
    assert not {n.id for n in pending} & old
    assert all(
        n.status == NudgeStatus.CANCELLED
        for n in nudges_of(session=session, action_id=action.id)
        if n.id in old
    )
    due = next(n for n in pending if n.kind == "due")
    local = due.due_at.astimezone(NEW_YORK)
    assert (local.date(), local.time()) == (new_date, time(9, 0))
    assert all(n.due_at.astimezone(NEW_YORK).time() == time(9, 0) for n in pending)
    message = _dm_message(fixed_bot, dm)
    assert "📅 Rescheduled to Thu 2 Apr" in _texts([message])
    assert _buttons(message) == {Act.NUDGE_DONE, Act.NUDGE_RESCHEDULE, Act.NUDGE_DROP}


def test_reschedule_to_a_past_date_is_answered_on_the_date(
    fixed_bot: Bot, session: Session
) -> None:
    dm = _nudged(fixed_bot, session)
    _click(fixed_bot, dm, Act.NUDGE_RESCHEDULE)
    values = {Block.REVIEW_DATE: {Block.REVIEW_DATE: p.date_value("2026-03-09")}}
    errors = _errors(fixed_bot.submit(fixed_bot.last_view(), values, user="U0BOB"))
    assert "passed" in errors[Block.REVIEW_DATE]
    assert _action(session).review_date == DUE


def test_drop_needs_a_reason(fixed_bot: Bot, session: Session) -> None:
    dm = _nudged(fixed_bot, session)
    _click(fixed_bot, dm, Act.NUDGE_DROP)
    view = fixed_bot.last_view()
    assert view["callback_id"] == View.DROP
    errors = _errors(
        fixed_bot.submit(view, {Block.REASON: {Block.REASON: p.text_value("  ")}}, user="U0BOB")
    )
    assert Block.REASON in errors
    assert _action(session).status == "open"
    assert _pending(session, dm.action_id)


def test_drop_with_a_reason_cancels_the_nudges(fixed_bot: Bot, session: Session) -> None:
    dm = _nudged(fixed_bot, session)
    _click(fixed_bot, dm, Act.NUDGE_DROP)
    values = {Block.REASON: {Block.REASON: p.text_value("Replaced by <!channel> the new pipeline")}}
    assert not fixed_bot.submit(fixed_bot.last_view(), values, user="U0BOB").body

    action = _action(session)
    assert action.status == "dropped"
    assert action.drop_reason == "Replaced by <!channel> the new pipeline"
    assert action.completed_at == NOW  # the app's clock, not the wall clock
    assert _pending(session, dm.action_id) == []
    message = _dm_message(fixed_bot, dm)
    assert "✖️ Dropped: Replaced by &lt;!channel&gt; the new pipeline" in _texts([message])
    assert _buttons(message) == set()
    review = next(m for m in fixed_bot.standin.messages("C0GENERAL") if m["ts"] == dm.root["ts"])
    assert "dropped: Replaced by &lt;!channel&gt;" in _texts([review])


def test_the_outcome_shows_in_the_closing_summary(fixed_bot: Bot, session: Session) -> None:
    root = r.start(fixed_bot)
    for _ in range(5):
        r.click(fixed_bot, root, Act.NEXT)
    fixed_bot.reply("No flag check", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    rid = r.review_id(root)
    r.click(
        fixed_bot, root, Act.GAP_TYPE, selected_option="process", block_id=f"q:{rid}:root_cause"
    )
    r.click(fixed_bot, root, Act.NEXT)
    assert not r.add_action(fixed_bot, root, review_date=DUE).body
    action_id = _action(session).id
    dm = Nudged(root, action_id, *_send_dm(fixed_bot.standin, action_id))
    assert not _done(fixed_bot, dm, "partly").body

    r.click(fixed_bot, root, Act.CLOSE)

    summary = r.thread(fixed_bot, root)[-1]
    assert "Summary" in _texts([summary])
    assert "✅ done · criterion partly met" in _texts([summary])


def test_an_outcome_survives_slack_failing_after_the_submit(
    fixed_bot: Bot, session: Session
) -> None:
    dm = _nudged(fixed_bot, session)
    _click(fixed_bot, dm, Act.NUDGE_DONE)
    view = fixed_bot.last_view()
    fixed_bot.standin.fail_next("chat.update", status=500, times=10)
    fixed_bot.submit(view, _outcome_values("Canary caught a bad build", "yes"), user="U0BOB")
    session.rollback()
    assert _action(session).status == "done"
    assert _action(session).outcome_summary == "Canary caught a bad build"
