"""Delivering nudges: each due nudge once, leases, and retries after 429/5xx."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import Session

from bot.cli.main import main
from bot.jobs.nudges import LEASE, TOKEN_HOLD, sweep
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.slack.clients import InstalledClients
from bot.slack.ids import Act
from bot.standin import SlackStandIn
from storage import nudges
from storage.models import ActionStatus, NudgeStatus
from tests.bot.nudging import NOW, due_actions, nudged_action_ids, only_nudge, review


def _bare_client(deps: Deps) -> WebClient:
    """A client without its own retries, so the database's retry is all there is."""
    settings = deps.settings
    return WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, retry_handlers=[]
    )


def test_a_sweep_sends_each_due_nudge_once_and_a_second_sweep_sends_nothing(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    row = review(session, title="Deploy <!channel> outage")
    [reminder] = due_actions(
        session, 1, review_row=row, kind="reminder", review_date=NOW.date() + timedelta(days=2)
    )
    [due] = due_actions(
        session, 1, review_row=row, what="Page <!here> on-call", owners=("U0CAROL",)
    )
    [later] = due_actions(session, 1, review_row=row, due_at=NOW + timedelta(hours=1))
    client = build_client(deps.settings)

    first = sweep(deps=deps, client=client, now=NOW, worker="w1")

    assert sorted(d.nudge_id for d in first.sent) == sorted(
        only_nudge(session, a).id for a in (reminder, due)
    )
    assert nudged_action_ids(standin) == {reminder: 1, due: 1}
    dm = standin.dm("U0CAROL")[-1]  # the second action's owner
    assert "&lt;!here&gt;" in dm["text"]
    assert "<!here>" not in str(dm["blocks"])
    shown = str(dm["blocks"])
    assert "Zero deploy incidents" in shown
    assert "Deploy &lt;!channel&gt; outage" in shown
    assert row.permalink in shown
    assert "Today is the review date" in shown
    buttons = [e.get("action_id") for b in dm["blocks"] for e in b.get("elements", [])]
    assert {Act.NUDGE_DONE, Act.NUDGE_RESCHEDULE, Act.NUDGE_DROP} <= set(buttons)
    assert "Coming up" in standin.dm("U0BOB")[-1]["text"]
    assert only_nudge(session, due).slack_ts == dm["ts"]

    calls = len(standin.calls)
    second = sweep(deps=deps, client=client, now=NOW + timedelta(minutes=1), worker="w2")
    assert (second.sent, second.failed, len(standin.calls)) == ([], [], calls)
    assert only_nudge(session, later).status == NudgeStatus.PENDING


@pytest.mark.parametrize("status", [ActionStatus.DONE, ActionStatus.DROPPED])
def test_nothing_is_sent_for_an_action_that_is_no_longer_open(
    session: Session, deps: Deps, standin: SlackStandIn, status: str
) -> None:
    # The status changes without cancelling the plan: the sweep itself must check.
    [action] = due_actions(session, 1, review_row=review(session), status=status)

    result = sweep(deps=deps, client=build_client(deps.settings), now=NOW)

    assert result.sent == []
    assert [d.nudge_id for d in result.cancelled] == [only_nudge(session, action).id]
    assert standin.calls_to("chat.postMessage") == []
    assert only_nudge(session, action).status == NudgeStatus.CANCELLED


def test_two_concurrent_sweepers_send_each_of_1000_nudges_exactly_once(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    actions = due_actions(session, 1000, review_row=review(session))
    results = {}

    def run(worker: str) -> None:
        results[worker] = sweep(
            deps=deps, client=build_client(deps.settings), now=NOW, worker=worker, batch=25
        )

    threads = [threading.Thread(target=run, args=(f"sweeper-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert set(results) == {"sweeper-1", "sweeper-2"}
    sent = [d.nudge_id for r in results.values() for d in r.sent]
    assert len(sent) == len(set(sent)) == 1000
    assert all(not r.failed for r in results.values())
    assert nudged_action_ids(standin) == dict.fromkeys(actions, 1)
    session.expire_all()
    rows = session.exec(nudges.due_ids(now=NOW, limit=5000)).all()
    assert rows == []  # nothing left to claim
    report = nudges.status_report(session=session)
    assert report.counts == {NudgeStatus.SENT: 1000}


def test_a_sweeper_killed_between_claim_and_send_leaves_a_lease_that_expires(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))
    nudges.claim_due(session=session, now=NOW, worker="dead", lease=LEASE)
    session.commit()  # ...and the process dies before sending
    client = build_client(deps.settings)

    def at(moment):  # a lease is judged on the clock, so the clock moves with `now`
        return sweep(deps=replace(deps, clock=lambda: moment), client=client, now=moment)

    early = at(NOW + LEASE - timedelta(seconds=1))
    late = at(NOW + LEASE + timedelta(seconds=1))
    again = at(NOW + LEASE * 3)

    assert (len(early.sent), len(late.sent), len(again.sent)) == (0, 1, 0)
    assert nudged_action_ids(standin) == {action: 1}
    row = only_nudge(session, action)
    assert (row.status, row.attempts) == (NudgeStatus.SENT, 2)
    assert row.claimed_by != "dead"


def test_a_long_sweeps_later_batch_is_leased_from_the_clock_at_its_claim(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    actions = due_actions(session, 2, review_row=review(session))
    clock = [NOW]
    deps = replace(deps, clock=lambda: clock[0])
    standin.delay("chat.postMessage", 1.0)  # Slack is slow: each batch takes a while to send
    client = build_client(deps.settings)
    first = threading.Thread(target=sweep, kwargs={"deps": deps, "client": client, "batch": 1})
    first.start()
    _wait_until_claimed(session, actions[0])
    clock[0] = NOW + LEASE * 2  # the sweep started long ago when it claims its second batch
    _wait_until_claimed(session, actions[1])

    # Another replica sweeps while the second batch is being sent: its lease still holds.
    other = sweep(deps=deps, client=client, worker="other")
    first.join(timeout=10)

    assert other.sent == []
    assert nudged_action_ids(standin) == dict.fromkeys(actions, 1)


def _wait_until_claimed(session: Session, action_id: int) -> None:
    deadline = time.monotonic() + 5
    # Claimed, then marked sending just before its post: either way a sweeper holds it.
    while only_nudge(session, action_id).status not in nudges.HELD:
        session.rollback()  # a fresh snapshot next time round
        assert time.monotonic() < deadline, f"action {action_id}'s nudge was never claimed"
        time.sleep(0.01)


def test_429_beyond_the_clients_own_retries_backs_off_then_is_sent(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))
    # The client retries a 429 three times itself (sleeping Retry-After, here 0 s); a fourth
    # 429 reaches the sweep, which puts the nudge back with a backoff.
    standin.fail_next("chat.postMessage", status=429, retry_after=0, times=4)
    client = build_client(deps.settings)

    first = sweep(deps=deps, client=client, now=NOW)

    assert first.sent == []
    assert "ratelimited" in first.failed[0].error
    row = only_nudge(session, action)
    assert row.status == NudgeStatus.PENDING
    assert row.lease_expires_at > NOW
    assert sweep(deps=deps, client=client, now=NOW).sent == []
    assert len(sweep(deps=deps, client=client, now=NOW + timedelta(seconds=2)).sent) == 1
    assert nudged_action_ids(standin) == {action: 1}


def test_a_429s_retry_after_is_honoured_by_the_database_retry(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))
    standin.fail_next("chat.postMessage", status=429, retry_after=120)
    client = _bare_client(deps)

    assert len(sweep(deps=deps, client=client, now=NOW).failed) == 1
    assert only_nudge(session, action).lease_expires_at == NOW + timedelta(seconds=120)
    assert sweep(deps=deps, client=client, now=NOW + timedelta(seconds=119)).sent == []
    assert len(sweep(deps=deps, client=client, now=NOW + timedelta(seconds=121)).sent) == 1
    assert nudged_action_ids(standin) == {action: 1}


def test_500s_are_retried_with_backoff_and_nothing_is_lost(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))
    standin.fail_next("chat.postMessage", status=500, times=3)  # one more than the client's
    client = build_client(deps.settings)

    assert len(sweep(deps=deps, client=client, now=NOW).failed) == 1
    assert sweep(deps=deps, client=client, now=NOW + timedelta(seconds=59)).sent == []
    assert len(sweep(deps=deps, client=client, now=NOW + timedelta(seconds=61)).sent) == 1
    assert nudged_action_ids(standin) == {action: 1}


def test_after_max_attempts_the_nudge_is_failed_and_status_shows_the_error(
    session: Session,
    make_settings,
    engine,
    standin: SlackStandIn,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deps = Deps(settings=make_settings(nudge_max_attempts=3), engine=engine)
    [action] = due_actions(session, 1, review_row=review(session))
    standin.fail_next("chat.postMessage", status=503, times=3)
    client = _bare_client(deps)
    now = NOW
    for _ in range(3):
        sweep(deps=deps, client=client, now=now)
        now += timedelta(minutes=5)  # past every backoff (1, 2, 4 minutes)

    row = only_nudge(session, action)
    assert (row.status, row.attempts) == (NudgeStatus.FAILED, 3)
    assert sweep(deps=deps, client=client, now=now + timedelta(days=1)).sent == []
    monkeypatch.setenv("DATABASE_URL", deps.settings.database_url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    assert main(["nudges", "status"]) == 0
    out = capsys.readouterr().out
    assert "failed: 1" in out
    assert "internal_error (HTTP 503)" in out


def test_a_nudge_that_fails_unexpectedly_is_failed_and_the_sweep_goes_on(
    session: Session, deps: Deps, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    broken = review(session, title="From a team whose install cannot be read")
    broken.team_id = "T0BROKEN"
    [bad] = due_actions(session, 1, review_row=broken, due_at=NOW - timedelta(hours=1))
    [good] = due_actions(session, 1, review_row=review(session))

    def token_for(team_id: str) -> str:
        if team_id == "T0BROKEN":
            raise ValueError("the stored installation cannot be decrypted")
        return deps.settings.slack_bot_token

    clients = InstalledClients(token_for=token_for, make_client=lambda _: _bare_client(deps))

    with caplog.at_level(logging.ERROR, logger="aarbot.sweep"):
        result = sweep(deps=deps, client=clients, now=NOW)

    assert [d.nudge_id for d in result.sent] == [only_nudge(session, good).id]
    [failed] = result.failed
    assert failed.error == "ValueError: the stored installation cannot be decrypted (failed)"
    row = only_nudge(session, bad)
    assert (row.status, row.attempts) == (NudgeStatus.FAILED, 1)
    assert "Traceback" in caplog.text
    assert nudged_action_ids(standin) == {good: 1}
    later = sweep(deps=deps, client=clients, now=NOW + timedelta(hours=1))
    assert (later.sent, later.failed) == ([], [])


@pytest.mark.parametrize("error", ["token_revoked", "account_inactive"])
def test_a_rejected_token_holds_the_teams_nudges_without_using_their_attempts(
    session: Session, deps: Deps, standin: SlackStandIn, error: str
) -> None:
    actions = due_actions(session, 3, review_row=review(session))
    lookups: list[str] = []

    def token_for(team_id: str) -> str:
        lookups.append(team_id)
        return deps.settings.slack_bot_token

    clients = InstalledClients(token_for=token_for, make_client=lambda _: _bare_client(deps))
    standin.fail_next("conversations.open", status=200, error=error, times=100)  # dead

    held = sweep(deps=deps, client=clients, now=NOW)

    assert held.sent == []
    assert [d.error for d in held.failed] == [f"{error} (HTTP 200) (pending)"] * 3
    assert len(standin.calls) == 1  # the team's other nudges did not ask again
    session.expire_all()
    rows = [only_nudge(session, a) for a in actions]
    assert {(r.status, r.attempts) for r in rows} == {(NudgeStatus.PENDING, 0)}
    assert sweep(deps=deps, client=clients, now=NOW + TOKEN_HOLD / 2).failed == []
    # The token works again (say, the app was reinstalled): the store is asked for it anew.
    standin.heal("conversations.open")
    later = sweep(deps=deps, client=clients, now=NOW + TOKEN_HOLD)
    assert len(later.sent) == 3
    assert lookups == ["T0TEAM", "T0TEAM"]
    assert nudged_action_ids(standin) == dict.fromkeys(actions, 1)
