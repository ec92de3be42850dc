"""The weekly digest marks its week before posting, and gives the week back if the post fails."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import Session

from bot.jobs.digest import send_weekly_digest
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.standin import SlackStandIn
from storage.digests import last_digest_at
from storage.models import Action, ActionStatus
from tests.bot.nudging import NOW, clients_with_an_unreachable_team, due_actions, review


def _last(session: Session):
    session.rollback()  # a fresh snapshot
    return last_digest_at(session=session, team_id="T0TEAM", channel_id="C0GENERAL")


def test_the_week_is_marked_and_committed_before_the_digest_is_posted(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    due_actions(session, 1, review_row=review(session))
    standin.delay("chat.postMessage", 1.5)  # Slack is slow to answer
    posted: list[int] = []
    digest = threading.Thread(
        target=lambda: posted.append(
            send_weekly_digest(deps=deps, client=build_client(deps.settings), now=NOW)
        )
    )
    digest.start()

    # While the post waits on Slack, the mark is already there for others to see (and no
    # transaction is open: on SQLite it would lock out every other writer meanwhile).
    deadline = time.monotonic() + 1.0
    while _last(session) is None:
        assert time.monotonic() < deadline, "the week was not marked before the post"
        time.sleep(0.01)
    assert standin.calls_to("chat.postMessage") == []
    digest.join(timeout=10)
    assert posted == [1]
    assert _last(session) == NOW


def test_a_digest_that_could_not_be_posted_gives_its_week_back(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    due_actions(session, 1, review_row=review(session))
    client = build_client(deps.settings)

    standin.fail_next("chat.postMessage", status=200, error="not_in_channel")
    assert send_weekly_digest(deps=deps, client=client, now=NOW) == 0
    assert _last(session) is None
    assert send_weekly_digest(deps=deps, client=client, now=NOW + timedelta(hours=1)) == 1
    assert _last(session) == NOW + timedelta(hours=1)

    next_week = NOW + timedelta(days=7)
    standin.fail_next("chat.postMessage", status=200, error="not_in_channel")
    assert send_weekly_digest(deps=deps, client=client, now=next_week) == 0
    assert _last(session) == NOW + timedelta(hours=1)
    assert send_weekly_digest(deps=deps, client=client, now=next_week + timedelta(hours=1)) == 1
    assert len([m for m in standin.messages("C0GENERAL") if "Follow-through" in m["text"]]) == 2


def test_a_channel_whose_team_cannot_be_reached_does_not_cost_the_others_their_digest(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    far = review(session, channel_id="C0FAR")
    far.team_id = "T0AWAY"  # sorts first; its Slack does not answer
    due_actions(session, 1, review_row=far)
    due_actions(session, 1, review_row=review(session))
    clients = clients_with_an_unreachable_team(deps.settings, "T0AWAY")

    assert send_weekly_digest(deps=deps, client=clients, now=NOW) == 1

    assert [m for m in standin.messages("C0GENERAL") if "Follow-through" in m["text"]]
    assert last_digest_at(session=session, team_id="T0AWAY", channel_id="C0FAR") is None


def test_the_weekly_digest_lists_due_overdue_and_done_per_channel_once_a_week(
    session: Session, deps: Deps, standin: SlackStandIn
) -> None:
    row = review(session, title="Checkout <b>outage</b>")
    due_actions(session, 1, review_row=row, what="Due <!channel> soon")
    due_actions(session, 1, review_row=row, what="Late one", review_date=NOW.date() - timedelta(3))
    due_actions(
        session, 1, review_row=row, what="Next month", review_date=NOW.date() + timedelta(30)
    )
    [done] = due_actions(session, 1, review_row=row, what="Finished", status=ActionStatus.DONE)
    secret = review(session, title="Secret", channel_id="C0OPS", confidential=True)
    due_actions(session, 1, review_row=secret, what="Hidden")
    session.get(Action, done).completed_at = NOW - timedelta(days=1)
    session.commit()
    client = build_client(deps.settings)

    assert send_weekly_digest(deps=deps, client=client, now=NOW) == 1
    [message] = [m for m in standin.messages("C0GENERAL") if "Follow-through" in m["text"]]
    shown = str(message["blocks"])
    assert "Due &lt;!channel&gt; soon" in shown
    assert "<!channel>" not in shown
    assert "Late one" in shown
    assert "Finished" in shown
    assert "Next month" not in shown
    assert "Checkout &lt;b&gt;outage&lt;/b&gt;" in shown
    assert message["text"] == "Follow-through this week: 1 due, 1 overdue, 1 done"
    assert standin.messages("C0OPS") == []
    # A second replica's cron (or a restart) in the same week posts nothing more.
    assert send_weekly_digest(deps=deps, client=client, now=NOW + timedelta(hours=1)) == 0
    assert send_weekly_digest(deps=deps, client=client, now=NOW + timedelta(days=7)) == 1
