"""Arranging reviews, actions and due nudges straight in the database, for the sweep tests."""

from __future__ import annotations

import json
import socket
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from slack_sdk import WebClient
from sqlmodel import Session

from bot.runtime.settings import Settings
from bot.slack.clients import InstalledClients
from bot.slack.ids import Act
from bot.standin import SlackStandIn
from bot.standin.state import BOT_USER_ID
from storage import nudges, reviews
from storage.models import Nudge, Review

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # a Thursday
TODAY = NOW.date()
OWNERS = ("U0BOB", "U0CAROL")


def review(
    session: Session,
    standin: SlackStandIn | None = None,
    *,
    title: str = "Checkout outage",
    channel_id: str = "C0GENERAL",
    confidential: bool = False,
) -> Review:
    """A posted review; with a stand-in, its message really exists there (for the thread)."""
    row = reviews.create_review(
        session=session,
        team_id="T0TEAM",
        template="miss",
        kind="miss",
        title=title,
        channel_id=channel_id,
        facilitator_id="U0ALICE",
        confidential=confidential,
    )
    ts = "1700000000.000001"
    if standin is not None:
        ts = standin.add_message(channel_id, BOT_USER_ID, f"After-action review: {title}")["ts"]
    row.message_ts = row.thread_ts = ts
    row.permalink = f"https://example.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    session.flush()
    return row


def due_actions(
    session: Session,
    count: int,
    *,
    review_row: Review,
    kind: str = "due",
    due_at: datetime = NOW - timedelta(minutes=5),
    review_date: date = TODAY,
    owners: tuple[str, ...] = OWNERS,
    what: str = "Add a canary stage",
    status: str = "open",
) -> list[int]:
    """`count` actions, owners taking turns, each with one nudge of `kind` due at `due_at`."""
    ids = []
    for i in range(count):
        action = reviews.add_action(
            session=session,
            review_id=review_row.id,
            what=f"{what} {i}" if count > 1 else what,
            owner_id=owners[i % len(owners)],
            owner_tz="America/New_York",
            review_date=review_date,
            success_criterion="Zero deploy incidents for 30 days",
            kind="fix",
            specificity=4,
            created_by="U0ALICE",
        )
        action.status = status
        nudges.replace_plan(session=session, action_id=action.id, planned=[(kind, due_at)])
        ids.append(action.id)
    session.commit()
    return ids


def clients_with_an_unreachable_team(settings: Settings, team_id: str) -> InstalledClients:
    """Each team's client on the stand-in, except `team_id`'s: nothing listens where it calls."""
    with socket.socket() as probe:  # a port that was free a moment ago refuses connections
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"

    def make_client(token: str) -> WebClient:
        url = closed if token == "xoxb-unreachable" else settings.slack_api_url
        return WebClient(token=token, base_url=url, retry_handlers=[])

    return InstalledClients(
        token_for=lambda team: "xoxb-unreachable" if team == team_id else settings.slack_bot_token,
        make_client=make_client,
    )


def nudged_action_ids(standin: SlackStandIn) -> Counter[int]:
    """How many DMs (chat.postMessage calls) carried a Done button for each action."""
    seen: Counter[int] = Counter()
    for call in standin.calls_to("chat.postMessage"):
        if not call.ok:
            continue
        for block in _blocks(call.args.get("blocks")):
            for element in block.get("elements", []):
                if element.get("action_id") == Act.NUDGE_DONE:
                    seen[int(element["value"])] += 1
    return seen


def _blocks(raw) -> list[dict]:
    return json.loads(raw) if isinstance(raw, str) else list(raw or [])


def only_nudge(session: Session, action_id: int) -> Nudge:
    """The one nudge of an action, as the database has it now."""
    session.expire_all()
    [row] = nudges.nudges_of(session=session, action_id=action_id)
    return row
