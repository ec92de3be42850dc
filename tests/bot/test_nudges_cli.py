"""`aarbot nudges run-once / status / retry-failed`, with settings from the environment."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.cli.main import main
from bot.jobs.nudges import sweep
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.standin import SlackStandIn
from storage import nudges
from storage.models import NudgeStatus
from tests.bot.nudging import NOW, due_actions, nudged_action_ids, review


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, standin: SlackStandIn
) -> pytest.MonkeyPatch:
    """The environment of an operator's shell: this test's database and the stand-in."""
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", standin.base_url)
    return monkeypatch


def test_run_once_dry_run_lists_what_is_due_and_sends_nothing(
    env, session: Session, standin: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    due_actions(session, 2, review_row=review(session), what="Add <a> canary")
    due_actions(session, 1, review_row=review(session), due_at=NOW + timedelta(days=1))

    assert main(["nudges", "run-once", "--now", NOW.isoformat(), "--dry-run"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "2026-12-03 13:55Z would send due about U0BOB's action: Add <a> canary 0",
        "2026-12-03 13:55Z would send due about U0CAROL's action: Add <a> canary 1",
    ]
    assert out[-1].startswith("2 would send, 0 failed")
    assert standin.calls == []
    assert nudges.status_report(session=session).counts == {NudgeStatus.PENDING: 3}


def test_run_once_sends_what_is_due_at_now_and_prints_it(
    env, session: Session, standin: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    [action] = due_actions(session, 1, review_row=review(session))

    assert main(["nudges", "run-once", "--now", "2026-12-03T14:00:00Z"]) == 0
    assert main(["nudges", "run-once", "--now", "2026-12-03T14:00:00Z"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2026-12-03 13:55Z sent due about U0BOB's action: Add a canary stage"
    assert out[-1].startswith("0 sent, 0 failed, 0 cancelled")
    assert nudged_action_ids(standin) == {action: 1}


def test_run_once_reports_failures_and_status_and_retry_failed_recover_them(
    env, session: Session, standin: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("AARBOT_NUDGE_MAX_ATTEMPTS", "1")
    [action] = due_actions(session, 1, review_row=review(session))
    standin.fail_next("chat.postMessage", status=200, error="is_archived")

    assert main(["nudges", "run-once", "--now", NOW.isoformat()]) == 1
    assert (
        "FAILED due about U0BOB's action: Add a canary stage: is_archived (HTTP 200) (failed)"
        in (capsys.readouterr().out)
    )
    assert main(["nudges", "status"]) == 0
    status = capsys.readouterr().out
    assert "pending: 0 · claimed: 0 · sending: 0 · sent: 0 · failed: 1 · cancelled: 0" in status
    assert "after 1 attempts: is_archived (HTTP 200)" in status

    assert main(["nudges", "retry-failed"]) == 0
    assert capsys.readouterr().out == "1 failed nudge back to pending\n"
    assert main(["nudges", "run-once", "--now", NOW.isoformat()]) == 0
    assert nudged_action_ids(standin) == {action: 1}
    assert main(["nudges", "status"]) == 0
    assert "next due: nothing pending" in capsys.readouterr().out


def test_run_once_at_a_past_now_leases_its_claims_on_the_real_clock(
    env, session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    yesterday = deps.clock() - timedelta(days=1)
    [action] = due_actions(session, 1, review_row=review(session), due_at=yesterday)
    standin.delay("chat.postMessage", 1.0)
    run_once = threading.Thread(
        target=main, args=(["nudges", "run-once", "--now", yesterday.isoformat()],)
    )
    run_once.start()
    deadline = time.monotonic() + 5
    # Claimed, then marked sending just before its post: either way run-once holds it.
    while nudges.nudges_of(session=session, action_id=action)[0].status not in nudges.HELD:
        session.rollback()  # a fresh snapshot next time round
        assert time.monotonic() < deadline, "run-once never claimed the nudge"
        time.sleep(0.01)

    # A replica's sweep while run-once is still sending: the claim is a day old on the
    # --now clock, but only moments old for real.
    other = sweep(deps=deps, client=build_client(deps.settings), worker="replica")
    run_once.join(timeout=10)

    assert other.sent == []
    assert nudged_action_ids(standin) == {action: 1}


def test_a_bad_now_is_a_usage_error(env, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["nudges", "run-once", "--now", "next tuesday"])
    assert exit_info.value.code == 2
    assert "'next tuesday' is not an ISO-8601 time" in capsys.readouterr().err


def test_run_once_needs_a_bot_token_but_status_does_not(
    env, capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("SLACK_BOT_TOKEN")
    assert main(["nudges", "run-once"]) == 2
    assert capsys.readouterr().err.startswith("aarbot: SLACK_BOT_TOKEN is not set")
    assert main(["nudges", "status"]) == 0
    assert "pending: 0" in capsys.readouterr().out
