"""Owning an action grants the action, not the review, through the real app.

Alice facilitates a confidential review in #ops with Bob listed; Carol, who is not part of it
and not in #ops, is given one of its actions. Carol sees and acts on her action everywhere it
is shown to her, never with the review's name, and the review stays out of her search, stats,
Home, repeat suggestions, digests and lessons. Alice, Bob and a lead still see it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.jobs.digest import send_weekly_digest
from bot.jobs.nudges import sweep
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.slack.ids import Act, Block, Option, View
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from storage import reviews as store
from storage.models import Action, Review
from storage.nudges import nudges_of
from tests.bot import reviewing as r
from tests.bot.homes import buttons, click_on_home, known, open_home, shown

LEAD = "U0LEAD"
OUTSIDER = "U0CAROL"
SECRET = "Payroll export leaked"
HAPPENED = "The payroll export file went to the wrong storage bucket overnight."
ACTION = "Rotate the storage bucket keys"
CRITERION = "No bucket key older than 30 days"
ROOT_CAUSE = "The export job kept a hard-coded bucket name from the staging setup"
LESSON = "Read the bucket name from the environment, never from the job"


@pytest.fixture
def app(make_bot, standin: SlackStandIn) -> Bot:
    """The app with one lead, U0LEAD."""
    standin.add_user(LEAD, "lea")
    return make_bot(leads=(LEAD,))


def _secret(app: Bot, session: Session) -> dict[str, Any]:
    """Alice's confidential review in #ops, Bob listed; return its message."""
    return r.start(
        app,
        SECRET,
        what=HAPPENED,
        channel="C0OPS",
        participants=("U0BOB",),
        options=(Option.CONFIDENTIAL,),
    )


def _give_outsider_action(app: Bot, session: Session, root: dict[str, Any]) -> int:
    """Alice gives Carol an action in the review; return its id."""
    session.rollback()  # a write from an old read snapshot would find the database moved on
    known(session, OUTSIDER, tz="Asia/Tokyo")
    response = r.add_action(
        app, root, channel="C0OPS", what=ACTION, owner=OUTSIDER, criterion=CRITERION
    )
    assert not response.body, response.body
    session.rollback()  # see the app's commits
    return session.exec(select(Action).where(Action.what == ACTION)).one().id


def _secret_with_action(app: Bot, session: Session) -> tuple[dict[str, Any], int]:
    root = _secret(app, session)
    return root, _give_outsider_action(app, session, root)


def _answer(app: Bot, command: str, user: str) -> dict[str, Any]:
    """Run `/aar <command>` in #general; return the ephemeral answer's body."""
    before = len(app.standin.responses)
    response = app.command(command, user=user)
    assert response.status == 200
    [answer] = app.standin.responses[before:]
    assert answer["response_type"] == "ephemeral"
    return answer["body"]


def _text(message: dict[str, Any]) -> str:
    return (message.get("text") or "") + json.dumps(message.get("blocks"), ensure_ascii=False)


def _reviews_counted(app: Bot, user: str) -> str:
    """The "Reviews" figure of the whole workspace in `/aar stats` for this person."""
    answer = _answer(app, "stats", user)
    assert SECRET not in _text(answer)
    heading = ""
    for block in answer["blocks"]:
        if block["type"] == "section" and "fields" not in block:
            heading = block["text"]["text"]
        if "fields" in block and heading.startswith("*Whole workspace"):
            figures = dict(f["text"].removeprefix("*").split("*\n", 1) for f in block["fields"])
            return figures["Reviews"]
    raise AssertionError(f"no workspace figures in {answer}")


def test_owning_an_action_does_not_make_the_owner_a_participant(app: Bot, session: Session) -> None:
    _, _ = _secret_with_action(app, session)
    review = session.exec(select(Review)).one()
    people = {p.user_id for p in store.participants(session=session, review_id=review.id)}
    assert people == {"U0ALICE", "U0BOB"}


def test_search_does_not_find_the_review_for_the_owner(app: Bot, session: Session) -> None:
    _secret_with_action(app, session)
    carol = _answer(app, "search payroll export", OUTSIDER)
    assert SECRET not in _text(carol)
    assert carol["text"].startswith("No past reviews match")
    for user in ("U0ALICE", "U0BOB", LEAD):
        assert SECRET in _text(_answer(app, "search payroll export", user)), user


def test_stats_do_not_count_the_review_for_the_owner(app: Bot, session: Session) -> None:
    r.start(app, "Checkout outage after Friday deploy")
    root = _secret(app, session)
    without = _reviews_counted(app, OUTSIDER)
    _give_outsider_action(app, session, root)
    assert _reviews_counted(app, OUTSIDER) == without == "1"
    for user in ("U0ALICE", "U0BOB", LEAD):
        assert _reviews_counted(app, user) == "2", user


def test_the_home_lists_the_action_without_the_review(app: Bot, session: Session) -> None:
    _, action_id = _secret_with_action(app, session)
    home = open_home(app, OUTSIDER)
    carol = shown(home)
    assert ACTION in carol
    assert CRITERION in carol
    assert "a confidential review" in carol
    assert SECRET not in carol
    assert "Reviews you facilitate or joined* · 0" in carol
    assert str(action_id) in buttons(home, Act.NUDGE_DONE)
    for user in ("U0ALICE", "U0BOB"):
        assert SECRET in shown(open_home(app, user)), user


def test_see_all_lists_the_action_without_the_review(app: Bot, session: Session) -> None:
    _secret_with_action(app, session)
    r.start(app, "Checkout outage after Friday deploy")
    session.rollback()
    review = session.exec(select(Review).where(Review.title.startswith("Checkout"))).one()
    for n in range(10):  # eleven open actions: the Home shows ten and a See all button
        store.add_action(
            session=session,
            review_id=review.id,
            what=f"Checkout action {n}",
            owner_id=OUTSIDER,
            owner_tz="Asia/Tokyo",
            review_date=datetime.now(UTC).date() + timedelta(days=30),
            success_criterion="Zero checkout incidents for 30 days",
            kind="fix",
            specificity=4,
            created_by="U0ALICE",
        )
    session.commit()
    home = open_home(app, OUTSIDER)
    assert "actions" in buttons(home, Act.HOME_MORE)

    click_on_home(app, OUTSIDER, Act.HOME_MORE, "actions")
    modal = app.last_view()
    assert modal["callback_id"] == View.HOME_LIST
    listed = shown(modal)
    assert ACTION in listed
    assert "a confidential review" in listed
    assert "Checkout outage after Friday deploy" in listed
    assert SECRET not in listed


def test_aar_actions_lists_the_action_without_the_review(app: Bot, session: Session) -> None:
    _secret_with_action(app, session)
    carol = _answer(app, "actions", OUTSIDER)
    assert ACTION in _text(carol)
    assert "a confidential review" in _text(carol)
    assert SECRET not in _text(carol)
    assert Act.NUDGE_DONE in _text(carol)


def test_the_nudge_dm_names_no_review_and_its_done_button_works(
    app: Bot, session: Session, deps: Deps
) -> None:
    _, action_id = _secret_with_action(app, session)
    planned = {n.kind: n for n in nudges_of(session=session, action_id=action_id)}
    # Each on its day: a sweep that finds both due at once sends only the due-day one.
    for kind in ("reminder", "due"):
        now = planned[kind].due_at + timedelta(minutes=1)
        sweep(deps=deps, client=build_client(deps.settings), now=now)
    dms = app.standin.dm(OUTSIDER)
    assert len(dms) >= 2  # the reminder and the due-day nudge
    for dm in dms:
        assert ACTION in _text(dm)
        assert CRITERION in _text(dm)
        assert "a confidential review" in _text(dm)
        assert SECRET not in _text(dm)
        assert Act.NUDGE_DONE in _text(dm)

    session.rollback()
    nudge = next(n for n in nudges_of(session=session, action_id=action_id) if n.kind == "due")
    app.click(
        Act.NUDGE_DONE,
        value=str(action_id),
        user=OUTSIDER,
        channel=nudge.channel_id,
        message_ts=nudge.slack_ts,
    )
    modal = app.last_view()
    assert modal["callback_id"] == View.OUTCOME
    assert SECRET not in shown(modal)
    response = app.submit(modal, r.outcome_values("Keys rotated", "yes"), user=OUTSIDER)
    assert not response.body, response.body
    session.rollback()
    assert session.get(Action, action_id).status == "done"
    [updated] = [m for m in app.standin.dm(OUTSIDER) if m["ts"] == nudge.slack_ts]
    assert "Done" in _text(updated)
    assert "a confidential review" in _text(updated)
    assert SECRET not in _text(updated)

    # A stale button on the other DM refuses and shows the state there, still unnamed.
    [reminder] = [m for m in app.standin.dm(OUTSIDER) if m["ts"] != nudge.slack_ts][:1]
    app.click(
        Act.NUDGE_DONE,
        value=str(action_id),
        user=OUTSIDER,
        channel=nudge.channel_id,
        message_ts=reminder["ts"],
    )
    assert "already done" in str(app.standin.ephemerals(OUTSIDER)[-1])
    [stale] = [m for m in app.standin.dm(OUTSIDER) if m["ts"] == reminder["ts"]]
    assert "✅ Done" in _text(stale)
    assert SECRET not in _text(stale)


def test_done_from_the_home_records_the_outcome(app: Bot, session: Session) -> None:
    _, action_id = _secret_with_action(app, session)
    open_home(app, OUTSIDER)
    click_on_home(app, OUTSIDER, Act.NUDGE_DONE, str(action_id))
    modal = app.last_view()
    assert modal["callback_id"] == View.OUTCOME
    response = app.submit(modal, r.outcome_values("Keys rotated", "partly"), user=OUTSIDER)
    assert not response.body, response.body
    session.rollback()
    action = session.get(Action, action_id)
    assert (action.status, action.outcome) == ("done", "partly")
    home = shown(app.standin.home(OUTSIDER))
    assert ACTION not in home
    assert SECRET not in home


def _offers(app: Bot, root: dict[str, Any], channel: str) -> str:
    """The thread messages offering similar past reviews, as one string."""
    thread = r.thread(app, root, channel)
    return " ".join(_text(m) for m in thread if "may have happened before" in _text(m))


def test_a_review_in_another_channel_is_not_offered_the_confidential_one(
    app: Bot, session: Session
) -> None:
    _secret_with_action(app, session)
    title = "Salary file in the wrong bucket"
    elsewhere = r.start(app, title, what=HAPPENED, user=OUTSIDER)
    assert _offers(app, elsewhere, "C0GENERAL") == ""
    assert SECRET not in " ".join(_text(m) for m in r.thread(app, elsewhere))
    # The same words in the review's own channel do find it: the words were alike enough.
    here = r.start(app, title, what=HAPPENED, channel="C0OPS")
    assert SECRET in _offers(app, here, "C0OPS")


def test_the_weekly_digest_never_lists_the_confidential_review(
    app: Bot, session: Session, deps: Deps
) -> None:
    _, action_id = _secret_with_action(app, session)
    public = r.start(app, "Checkout outage after Friday deploy")
    session.rollback()
    known(session, "U0BOB")
    assert not r.add_action(app, public, owner="U0BOB").body
    session.rollback()
    day = session.get(Action, action_id).review_date
    now = datetime.combine(day, time(9), tzinfo=UTC)
    before = len(app.standin.calls_to("chat.postMessage"))

    assert send_weekly_digest(deps=deps, client=build_client(deps.settings), now=now) == 1
    posts = app.standin.calls_to("chat.postMessage")[before:]
    assert [c.args["channel"] for c in posts] == ["C0GENERAL"]
    for call in posts:
        assert SECRET not in str(call.args)
        assert ACTION not in str(call.args)


def _close_and_share(app: Bot, root: dict[str, Any], session: Session) -> None:
    """Walk the review to its close (Bob answers, Carol never does) and share its lesson."""
    channel, rid = "C0OPS", r.review_id(root)
    for _ in range(5):  # expected, actual, assumption, evidence, changed
        r.click(app, root, Act.NEXT, channel=channel)
    app.reply(ROOT_CAUSE, user="U0BOB", channel=channel, thread_ts=root["ts"])
    r.click(
        app,
        root,
        Act.GAP_TYPE,
        channel=channel,
        selected_option="process",
        block_id=f"q:{rid}:root_cause",
    )
    r.click(app, root, Act.NEXT, channel=channel)
    _give_outsider_action(app, session, root)
    r.click(app, root, Act.NEXT, channel=channel)
    app.reply(LESSON, user="U0BOB", channel=channel, thread_ts=root["ts"])
    r.click(app, root, Act.CLOSE, channel=channel)
    r.click(app, root, Act.SHARE, channel=channel)
    values = {
        Block.LESSON: {Block.LESSON: p.text_value(LESSON)},
        Block.SHARE_TO: {Block.SHARE_TO: p.conversations_value(["C0LESSONS"])},
        Block.CONFIRM: {Block.CONFIRM: p.checkboxes_value([Option.SHARE_CONFIDENTIAL])},
    }
    response = app.submit(app.last_view(), values)
    assert not response.body, response.body


def test_the_owner_never_sees_the_reviews_lesson_on_the_home(app: Bot, session: Session) -> None:
    root = _secret(app, session)
    _close_and_share(app, root, session)
    [card] = [m for m in app.standin.messages("C0LESSONS") if "What we learned" in m["text"]]
    assert ROOT_CAUSE not in _text(card)  # a confidential review's card names no answers

    home = open_home(app, OUTSIDER)
    carol = shown(home)
    assert ACTION in carol
    assert LESSON not in carol
    assert SECRET not in carol
    assert "No lessons shared yet." in carol
    click_on_home(app, OUTSIDER, Act.HOME_MORE, "lessons")
    assert LESSON not in shown(app.last_view())
    for user in ("U0ALICE", "U0BOB", LEAD):
        assert LESSON in shown(open_home(app, user)), user


def test_in_an_open_review_the_owner_sees_it_but_is_not_listed(app: Bot, session: Session) -> None:
    root = r.start(app, "Checkout outage after Friday deploy", what="Payments failed.")
    known(session, OUTSIDER, tz="Asia/Tokyo")
    assert not r.add_action(app, root, what=ACTION, owner=OUTSIDER).body
    session.rollback()
    review = session.exec(select(Review)).one()
    people = {p.user_id for p in store.participants(session=session, review_id=review.id)}
    assert OUTSIDER not in people
    assert "Checkout outage after Friday deploy" in shown(open_home(app, OUTSIDER))
    assert "a confidential review" not in shown(open_home(app, OUTSIDER))
    assert "Checkout outage" in _text(_answer(app, "search checkout", OUTSIDER))
    assert _reviews_counted(app, OUTSIDER) == "1"
