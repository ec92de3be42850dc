"""Escalations of overdue actions: the review thread and DMs, each sent once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session

from bot.jobs.nudges import sweep
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.standin import SlackStandIn
from storage.models import NudgeStatus
from tests.bot.nudging import NOW, due_actions, only_nudge, review


def test_an_escalation_posts_in_the_review_thread_and_dms_the_facilitator_and_leads(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    deps = replace(deps, settings=deps.settings.model_copy(update={"leads": ("U0CAROL",)}))
    row = review(session, standin)
    [action] = due_actions(
        session,
        1,
        review_row=row,
        kind="escalation",
        review_date=NOW.date() - timedelta(days=7),
        what="Write the <!channel> runbook",
    )

    result = sweep(deps=deps, client=build_client(deps.settings), now=NOW)

    assert len(result.sent) == 1
    [post] = standin.thread("C0GENERAL", row.thread_ts)[1:]
    assert "7 days past its review date" in post["text"]
    assert "&lt;!channel&gt;" in str(post["blocks"])
    assert "<!channel>" not in str(post["blocks"])
    [dm] = standin.dm("U0ALICE")
    assert "7 days late" in dm["text"]
    assert row.permalink in str(dm["blocks"])
    [lead_dm] = standin.dm("U0CAROL")
    assert "7 days late" in lead_dm["text"]
    assert standin.dm("U0BOB") == []  # the owner's own nudges are the other kinds
    assert only_nudge(session, action).slack_ts == post["ts"]


def test_an_escalation_goes_on_past_a_lead_who_cannot_get_a_dm(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    deps = replace(
        deps, settings=deps.settings.model_copy(update={"leads": ("U0DEACT", "U0CAROL")})
    )
    row = review(session, standin)
    [action] = due_actions(
        session, 1, review_row=row, kind="escalation", review_date=NOW.date() - timedelta(7)
    )
    client = build_client(deps.settings)

    result = sweep(deps=deps, client=client, now=NOW)

    assert (len(result.sent), result.failed) == (1, [])
    [post] = standin.thread("C0GENERAL", row.thread_ts)[1:]
    assert only_nudge(session, action).slack_ts == post["ts"]
    assert (len(standin.dm("U0ALICE")), len(standin.dm("U0CAROL"))) == (1, 1)
    assert sweep(deps=deps, client=client, now=NOW + timedelta(hours=1)).sent == []


def test_an_escalation_whose_facilitator_has_left_is_still_posted_in_the_thread(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    row = review(session, standin)
    row.facilitator_id = "U0DEACT"  # deactivated since the review
    [action] = due_actions(
        session, 1, review_row=row, kind="escalation", review_date=NOW.date() - timedelta(7)
    )

    result = sweep(deps=deps, client=build_client(deps.settings), now=NOW)

    assert (len(result.sent), result.failed) == (1, [])
    [post] = standin.thread("C0GENERAL", row.thread_ts)[1:]
    assert only_nudge(session, action).slack_ts == post["ts"]


def test_an_escalation_is_not_sent_again_when_only_its_thread_post_fails(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    deps = replace(deps, settings=deps.settings.model_copy(update={"leads": ("U0CAROL",)}))
    row = review(session, channel_id="C0OPS")  # the bot has since been removed from #ops
    [action] = due_actions(
        session, 1, review_row=row, kind="escalation", review_date=NOW.date() - timedelta(7)
    )
    client = build_client(deps.settings)

    first = sweep(deps=deps, client=client, now=NOW)
    again = sweep(deps=deps, client=client, now=NOW + timedelta(hours=1))

    assert (len(first.sent), first.failed, again.sent) == (1, [], [])
    [alice] = standin.dm("U0ALICE")
    assert len(standin.dm("U0CAROL")) == 1
    assert [c.error for c in standin.calls_to("chat.postMessage") if not c.ok] == ["not_in_channel"]
    assert only_nudge(session, action).slack_ts == alice["ts"]  # the record is the first DM


def test_an_escalation_is_retried_when_its_first_dm_fails(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    deps = replace(deps, settings=deps.settings.model_copy(update={"leads": ("U0CAROL",)}))
    row = review(session, standin)
    [action] = due_actions(
        session, 1, review_row=row, kind="escalation", review_date=NOW.date() - timedelta(7)
    )
    standin.fail_next("chat.postMessage", status=500, times=3)  # beyond the client's retries
    client = build_client(deps.settings)

    first = sweep(deps=deps, client=client, now=NOW)
    assert first.sent == []
    assert standin.dm("U0CAROL") == []  # nothing went out, so the retry repeats nothing
    assert len(sweep(deps=deps, client=client, now=NOW + timedelta(minutes=2)).sent) == 1
    assert (len(standin.dm("U0ALICE")), len(standin.dm("U0CAROL"))) == (1, 1)
    assert len(standin.thread("C0GENERAL", row.thread_ts)) == 2
    assert only_nudge(session, action).status == NudgeStatus.SENT
