"""Nudges effectively once: through a kill between post and record, a timeout, a late sweep.

Every nudge post carries its nudge id in the message metadata, and a nudge is marked
"sending" before the post; a sweeper that takes it again reads Slack first. A late sweep sends
one nudge per action, and a facilitator gets one DM per sweep for all their escalations.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.jobs.nudges import LEASE, sweep
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.slack.blocks.nudges import NUDGE_EVENT, carried_nudge_ids
from bot.slack.ids import Act, Block
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from bot.standin.state import TEAM_ID, Call
from storage import nudges
from storage.models import Nudge, NudgeStatus
from tests.bot import processes
from tests.bot.nudging import NOW, TODAY, due_actions, nudged_action_ids, review
from tests.conftest import SIGNING_SECRET

OWNER_CHANNELS = ("D0BOB", "D0CAROL")  # the stand-in's DMs with the owners nudging.py uses


def _posts_per_nudge(standin: SlackStandIn, *channels: str) -> Counter[int]:
    """How many messages in these channels carry each nudge id in their metadata."""
    seen: Counter[int] = Counter()
    for channel in channels:
        for message in standin.messages(channel):
            seen.update(carried_nudge_ids(message))
    return seen


def _statuses(session: Session) -> Counter[str]:
    session.commit()  # a fresh transaction sees what the sweepers committed since
    session.expire_all()
    return Counter(n.status for n in session.exec(select(Nudge)).all())


def _after_leases(deps: Deps) -> Deps:
    """The app's deps with the clock moved past every lease taken until now."""
    later = datetime.now(UTC) + LEASE + timedelta(seconds=1)
    return replace(deps, clock=lambda: later)


def test_a_sweeper_killed_between_post_and_record_leaves_each_nudge_sent_once(
    session: Session, deps: Deps, standin: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    row = review(session, standin)
    actions = due_actions(session, 50, review_row=row)
    ids = {n.id for a in actions for n in nudges.nudges_of(session=session, action_id=a)}
    env = processes.clean_env(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.base_url,
        DATABASE_URL=database_url,
    )
    sweeper = processes.aarbot(
        "nudges", "run-once", "--now", NOW.isoformat(), env=env, cwd=tmp_path
    )
    posts = Counter[str]()
    lock = threading.Lock()

    def kill_on_the_20th_post(call: Call) -> None:
        # Slack has the message; the sweeper dies before it hears the ts, so never records it.
        if call.method == "chat.postMessage" and call.ok:
            with lock:
                posts["ok"] += 1
                if posts["ok"] == 20:
                    os.kill(sweeper.pid, signal.SIGKILL)

    standin.after_call(kill_on_the_20th_post)
    try:
        sweeper.wait(60)
    finally:
        standin.after_call(None)
        if sweeper.poll() is None:
            sweeper.kill()
        sweeper.communicate()
    assert sweeper.returncode == -signal.SIGKILL
    # 19 recorded, the 20th posted but not recorded, the rest claimed and never sent.
    assert _statuses(session) == {
        NudgeStatus.SENT: 19,
        NudgeStatus.SENDING: 1,
        NudgeStatus.CLAIMED: 30,
    }
    assert sum(_posts_per_nudge(standin, *OWNER_CHANNELS).values()) == 20

    early = sweep(deps=deps, client=build_client(deps.settings), now=NOW)
    assert (early.sent, early.recovered) == ([], [])  # the leases still hold
    result = sweep(deps=_after_leases(deps), client=build_client(deps.settings), now=NOW)

    assert (len(result.sent), len(result.recovered), result.failed) == (30, 1, [])
    per_nudge = _posts_per_nudge(standin, *OWNER_CHANNELS)
    assert per_nudge == dict.fromkeys(ids, 1)  # every nudge exactly once
    assert _statuses(session) == {NudgeStatus.SENT: 50}
    by_ts = {
        m["ts"]: carried_nudge_ids(m)
        for channel in OWNER_CHANNELS
        for m in standin.messages(channel)
    }
    for nudge in session.exec(select(Nudge)).all():
        assert by_ts[nudge.slack_ts] == {nudge.id}  # each records its own message


def test_a_post_that_timed_out_is_found_in_the_dm_and_not_sent_again(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))
    impatient = WebClient(
        token=deps.settings.slack_bot_token,
        base_url=deps.settings.slack_api_url,
        timeout=0.5,
        retry_handlers=[],
    )
    standin.delay("chat.postMessage", 1.5)  # Slack posts it, but answers too late

    first = sweep(deps=deps, client=impatient, now=NOW)

    assert len(first.failed) == 1
    [nudge] = nudges.nudges_of(session=session, action_id=action)
    assert (nudge.status, nudge.channel_id) == (NudgeStatus.PENDING, "D0BOB")
    deadline = time.monotonic() + 5
    while not standin.dm("U0BOB") and time.monotonic() < deadline:
        time.sleep(0.05)
    standin.delay("chat.postMessage", None)

    retry = sweep(deps=deps, client=impatient, now=NOW + timedelta(minutes=2))

    assert (retry.sent, len(retry.recovered)) == ([], 1)
    [dm] = standin.dm("U0BOB")
    assert dm["metadata"] == {"event_type": NUDGE_EVENT, "event_payload": {"nudge_id": nudge.id}}
    session.commit()  # a fresh transaction sees the sweeps' commits
    session.expire_all()
    [nudge] = nudges.nudges_of(session=session, action_id=action)
    assert (nudge.status, nudge.slack_ts) == (NudgeStatus.SENT, dm["ts"])
    history = [c for c in standin.calls_to("conversations.history") if c.ok]
    [looked] = history  # one look at the DM, asking for the metadata
    assert looked.args.get("include_all_metadata") in (True, "1", "true")


def test_without_im_history_a_retry_sends_anyway_and_says_why(
    session: Session, deps: Deps, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))
    [nudge] = nudges.nudges_of(session=session, action_id=action)
    nudge.channel_id = "D0BOB"  # an earlier attempt failed while posting here
    session.commit()
    standin.scopes = [s for s in standin.scopes if s != "im:history"]  # an old install

    with caplog.at_level(logging.WARNING, logger="aarbot.sweep"):
        result = sweep(deps=deps, client=build_client(deps.settings), now=NOW)

    assert len(result.sent) == 1
    assert nudged_action_ids(standin) == {action: 1}
    assert any("missing_scope" in m and "sending without looking" in m for m in caplog.messages)


def test_a_late_sweep_sends_one_nudge_per_action_the_most_relevant(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    row = review(session, standin)
    actions = due_actions(session, 3, review_row=row)
    day = timedelta(days=1)
    for action_id in actions:
        nudges.replace_plan(
            session=session,
            action_id=action_id,
            planned=[
                ("reminder", NOW - 2 * day),
                ("due", NOW),
                ("overdue", NOW + 2 * day),
                ("escalation", NOW + 7 * day),
            ],
        )
    session.commit()
    client = build_client(deps.settings)

    # The sweeper was down: it runs a day after the overdue nudges were due.
    late = sweep(deps=deps, client=client, now=NOW + 3 * day, batch=2)

    assert nudged_action_ids(standin) == dict.fromkeys(actions, 1)
    assert sorted(d.kind for d in late.sent) == ["overdue"] * 3
    assert sorted(d.kind for d in late.superseded) == ["due"] * 3 + ["reminder"] * 3
    dms = standin.dm("U0BOB") + standin.dm("U0CAROL")
    assert all("Is it still open?" in m["text"] for m in dms)
    assert not any("Coming up" in m["text"] or "Today is" in m["text"] for m in dms)
    assert _statuses(session) == {
        NudgeStatus.SENT: 3,
        NudgeStatus.SUPERSEDED: 6,
        NudgeStatus.PENDING: 3,  # the escalations, not due yet
        NudgeStatus.CANCELLED: 3,  # due_actions' own plan, replaced above
    }
    assert sweep(deps=deps, client=client, now=NOW + 3 * day).sent == []


def test_escalations_are_grouped_one_dm_per_person_per_sweep(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    deps = replace(deps, settings=deps.settings.model_copy(update={"leads": ("U0CAROL",)}))
    first, second = review(session, standin, title="Checkout"), review(session, standin)
    late = {"kind": "escalation", "review_date": TODAY - timedelta(days=7)}
    actions = due_actions(session, 5, review_row=first, **late)
    actions += due_actions(session, 3, review_row=second, what="Page on-call", **late)

    result = sweep(deps=deps, client=build_client(deps.settings), now=NOW, batch=3)

    assert (len(result.sent), result.failed) == (8, [])
    [to_facilitator] = standin.dm("U0ALICE")
    [to_lead] = standin.dm("U0CAROL")
    ids = {n.id for a in actions for n in nudges.nudges_of(session=session, action_id=a)}
    for dm in (to_facilitator, to_lead):
        assert dm["text"].startswith("8 actions from your reviews are late")
        assert carried_nudge_ids(dm) == ids
        shown = str(dm["blocks"])
        assert all(f"Add a canary stage {i}" in shown for i in range(5))
        assert all(f"Page on-call {i}" in shown for i in range(3))
    # Each action still gets its own post in its review's thread.
    assert len(standin.thread("C0GENERAL", first.thread_ts)) == 1 + 5
    assert len(standin.thread("C0GENERAL", second.thread_ts)) == 1 + 3
    assert standin.dm("U0BOB") == []


def test_an_escalation_interrupted_after_its_dms_posts_only_what_is_missing(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    row = review(session, standin)
    [action] = due_actions(
        session, 1, review_row=row, kind="escalation", review_date=TODAY - timedelta(days=7)
    )
    [nudge] = nudges.nudges_of(session=session, action_id=action)
    # An earlier sweeper DMed the facilitator, then died before the thread post.
    client = build_client(deps.settings)
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]
    client.chat_postMessage(
        channel=dm,
        text="An action from your review is 7 days late",
        metadata={"event_type": NUDGE_EVENT, "event_payload": {"nudge_id": nudge.id}},
    )
    nudge.status, nudge.channel_id, nudge.claimed_by = NudgeStatus.SENDING, "C0GENERAL", "dead"
    nudge.lease_expires_at, nudge.attempts = datetime.now(UTC) - timedelta(seconds=1), 1
    session.commit()

    result = sweep(deps=deps, client=client, now=NOW)

    assert (len(result.recovered), result.failed) == (0, [])
    assert len(result.sent) == 1
    assert len(standin.dm("U0ALICE")) == 1  # not DMed again
    [post] = standin.thread("C0GENERAL", row.thread_ts)[1:]
    assert carried_nudge_ids(post) == {nudge.id}
    session.commit()
    session.expire_all()
    assert nudges.nudges_of(session=session, action_id=action)[0].slack_ts == post["ts"]


def test_acting_on_one_action_of_a_grouped_escalation_dm_leaves_the_others(
    bot: Bot, session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    row = review(session, standin)
    row.team_id = TEAM_ID  # the workspace the app's requests come from
    late = {"kind": "escalation", "review_date": TODAY - timedelta(days=7)}
    actions = due_actions(session, 3, review_row=row, **late)
    sweep(deps=deps, client=build_client(deps.settings), now=NOW)
    [dm] = standin.dm("U0ALICE")
    dropped, *others = actions

    bot.click(
        Act.NUDGE_DROP,
        value=str(dropped),
        user="U0ALICE",
        channel="D0ALICE",
        message_ts=dm["ts"],
        block_id=f"escalation:{dropped}",
    )
    view = bot.last_view()
    reason = {Block.REASON: {Block.REASON: p.text_value("Replaced by the new pipeline")}}
    assert not bot.submit(view, reason, user="U0ALICE").body

    [shown] = standin.dm("U0ALICE")
    buttons = [
        (b["block_id"], e["value"])
        for b in shown["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == Act.NUDGE_DROP
    ]
    assert buttons == [(f"escalation:{a}", str(a)) for a in others]  # the others still act
    blocks = json.dumps(shown["blocks"], ensure_ascii=False)
    assert blocks.count("Dropped: Replaced by the new pipeline") == 1
    assert all(f"Add a canary stage {i}" in blocks for i in range(3))  # nobody left out
    assert shown["metadata"] == dm["metadata"]


def test_after_a_reschedule_the_new_reminder_goes_though_the_old_due_day_nudge_was_sent(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))  # "due", sent below
    client = build_client(deps.settings)
    assert len(sweep(deps=deps, client=client, now=NOW).sent) == 1
    # Rescheduled a week on: a new plan, whose reminder falls after the old due day.
    week = timedelta(days=7)
    nudges.replace_plan(
        session=session,
        action_id=action,
        planned=[("reminder", NOW + week - timedelta(days=2)), ("due", NOW + week)],
    )
    session.commit()

    reminder = sweep(deps=deps, client=client, now=NOW + week - timedelta(days=2))

    assert ([d.kind for d in reminder.sent], reminder.superseded) == (["reminder"], [])
    assert nudged_action_ids(standin) == {action: 2}
