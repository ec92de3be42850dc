"""Two workspaces installed side by side: each sees only its own reviews, with its own token.

The stand-in plays both workspaces. Once both are installed it is strict: a call with a token
no team owns is refused, and a call that names another team's user or channel is refused and
recorded as a violation, which fails the test when the stand-in fixture ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.jobs.digest import send_weekly_digest
from bot.jobs.nudges import sweep
from bot.slack.clients import team_clients
from bot.standin import SlackStandIn, payloads
from bot.standin.driver import Bot
from bot.standin.state import Team
from tests.bot import reviewing as r
from tests.bot.oauth import installed, oauth_bot

ALPHA, BETA = "T0001", "T0002"  # alpha is the stand-in's seeded workspace, with its people
BETA_CHANNEL = "C2GENERAL"
# Words both workspaces' reviews share, so search and lists have something to leak.
SHARED_WORDS = "Checkout outage after the Friday deploy"


@pytest.fixture
def teams(standin: SlackStandIn) -> dict[str, Team]:
    """Alpha (U0ALICE, U0BOB in #general) and beta (U2DANA, U2EVE in its own #general)."""
    beta_people = {"U2DANA": "dana", "U2EVE": "eve"}
    for user_id, name in beta_people.items():
        standin.add_user(user_id, name, tz="Europe/Paris", team=BETA)
    standin.add_channel(BETA_CHANNEL, "general", members=tuple(beta_people), team=BETA)
    return {
        ALPHA: standin.add_team(ALPHA, "Alpha"),
        BETA: standin.add_team(BETA, "Beta", installer="U2DANA"),
    }


@pytest.fixture
def app(
    standin: SlackStandIn, database_url: str, engine: Engine, teams: dict[str, Team]
) -> Iterator[Bot]:
    """The app installed in both workspaces through the OAuth flow; both people are leads,
    so only the team keeps one workspace's reviews from the other's searches and stats."""
    with oauth_bot(standin, database_url, engine, leads=("U0ALICE", "U2DANA")) as harness:
        for team in (ALPHA, BETA):
            done = harness.install(team)
            assert done.status == 200, done.body
        assert installed(engine) == sorted((t.id, t.bot_token) for t in teams.values())
        yield harness


def _said(app: Bot, text: str, *, user: str, channel: str, team: str) -> str:
    """Everything `/aar <text>` showed: its ack and whatever it sent to its response_url."""
    before = len(app.standin.responses)
    response = app.command(text, user=user, channel=channel, team=team)
    assert response.status == 200
    shown = [response.json()] if response.body else []
    shown += [posted["body"] for posted in app.standin.responses[before:]]
    return json.dumps(shown, ensure_ascii=False)


def _alpha(app: Bot, text: str) -> str:
    return _said(app, text, user="U0ALICE", channel="C0GENERAL", team=ALPHA)


def _beta(app: Bot, text: str) -> str:
    return _said(app, text, user="U2DANA", channel=BETA_CHANNEL, team=BETA)


def _add_action(app: Bot, root: dict[str, Any], **fields: Any) -> None:
    # The owner may still be being looked up in Slack; a person then presses Add action again.
    for _ in range(2):
        response = r.add_action(app, root, **fields)
        if not response.body or "errors" not in response.json():
            return
    raise AssertionError(f"the action was refused: {response.body!r}")


def _start_reviews(app: Bot) -> None:
    alpha_root = r.start(app, f"Alpha {SHARED_WORDS}", participants=("U0BOB",))
    _add_action(app, alpha_root, what="Alpha adds a canary stage", owner="U0BOB")
    r.start(app, f"Alpha second {SHARED_WORDS}")
    beta_root = r.start(
        app,
        f"Beta {SHARED_WORDS}",
        user="U2DANA",
        channel=BETA_CHANNEL,
        team=BETA,
        participants=("U2EVE",),
    )
    _add_action(
        app,
        beta_root,
        what="Beta adds a smoke test",
        owner="U2EVE",
        user="U2DANA",
        channel=BETA_CHANNEL,
        team=BETA,
    )


def _calls_on(standin: SlackStandIn, ref: str) -> list[Any]:
    return [c for c in standin.calls if ref in (c.args.get("channel"), c.args.get("user_id"))]


def test_each_workspace_sees_only_its_own_reviews_through_its_own_token(
    app: Bot, standin: SlackStandIn, teams: dict[str, Team]
) -> None:
    _start_reviews(app)

    # Search: both workspaces have a review about a checkout outage.
    alpha_hits, beta_hits = _alpha(app, "search checkout outage"), _beta(app, "search checkout")
    assert "Alpha " in alpha_hits
    assert "Alpha second" in alpha_hits
    assert "Beta " not in alpha_hits
    assert "Beta " in beta_hits
    assert "Alpha" not in beta_hits

    # The channel's open reviews.
    alpha_list, beta_list = _alpha(app, "list"), _beta(app, "list")
    assert "Alpha second" in alpha_list
    assert "Beta " not in alpha_list
    assert "Beta " in beta_list
    assert "Alpha" not in beta_list

    # My actions: each owner sees their own, and none of the other workspace's.
    bob_actions = _said(app, "actions", user="U0BOB", channel="C0GENERAL", team=ALPHA)
    eve_actions = _said(app, "actions", user="U2EVE", channel=BETA_CHANNEL, team=BETA)
    assert "Alpha adds a canary stage" in bob_actions
    assert "Beta adds" not in bob_actions
    assert "Beta adds a smoke test" in eve_actions
    assert "Alpha adds" not in eve_actions

    # Stats: a lead sees every review of their own workspace, and none of the other's.
    alpha_stats, beta_stats = _alpha(app, "stats"), _beta(app, "stats")
    assert "*Reviews*\\n2" in alpha_stats
    assert "*Reviews*\\n1" in beta_stats
    assert "*Reviews*\\n3" not in alpha_stats + beta_stats

    # App Home, published with each workspace's token.
    app.event(payloads.app_home_opened_event("U0BOB"), team=ALPHA)
    app.event(payloads.app_home_opened_event("U2EVE"), team=BETA)
    alpha_home = json.dumps(standin.home("U0BOB")["blocks"], ensure_ascii=False)
    beta_home = json.dumps(standin.home("U2EVE")["blocks"], ensure_ascii=False)
    assert "Alpha adds a canary stage" in alpha_home
    assert "Beta" not in alpha_home
    assert "Beta adds a smoke test" in beta_home
    assert "Alpha" not in beta_home

    # Every call about a workspace's channel or people carried that workspace's token.
    for team, ref in (
        (ALPHA, "C0GENERAL"),
        (BETA, BETA_CHANNEL),
        (ALPHA, "U0BOB"),
        (BETA, "U2EVE"),
    ):
        used = {c.token for c in _calls_on(standin, ref)}
        assert used == {teams[team].bot_token}, (ref, used)
    # Nothing went out without a team's token, nor with one no team owns.
    assert {c.team_id for c in standin.calls if c.method != "oauth.v2.access"} == {ALPHA, BETA}
    assert [c for c in standin.calls if c.error in {"not_authed", "invalid_auth"}] == []


def test_nudges_and_digests_go_out_with_each_workspaces_token(
    app: Bot, standin: SlackStandIn, engine: Engine, teams: dict[str, Team]
) -> None:
    _start_reviews(app)
    deps = app.deps
    clients = team_clients(deps.settings, engine)
    later = deps.clock() + timedelta(days=15)  # past the reminders and the review dates

    result = sweep(deps=deps, client=clients, now=later)

    assert result.failed == []
    assert {d.owner_id for d in result.sent} == {"U0BOB", "U2EVE"}
    bob_dms, eve_dms = standin.dm("U0BOB"), standin.dm("U2EVE")
    assert bob_dms
    assert eve_dms
    assert all("Alpha adds" in m["text"] and "Beta" not in m["text"] for m in bob_dms)
    assert all("Beta adds" in m["text"] and "Alpha" not in m["text"] for m in eve_dms)
    for team, dm in ((ALPHA, "D0BOB"), (BETA, "D2EVE")):
        posts = [c for c in standin.calls_to("chat.postMessage") if c.args["channel"] == dm]
        assert posts
        assert {c.token for c in posts} == {teams[team].bot_token}

    # Over a week past the review dates the actions are escalated: each to its own workspace's
    # facilitator, in its own thread. Each lead is in one workspace only; the other's bot
    # cannot reach them, and the escalation goes on without them.
    escalated = sweep(deps=deps, client=clients, now=later + timedelta(days=10))
    assert escalated.failed == []
    assert {d.kind for d in escalated.sent} >= {"escalation"}
    assert sorted(str(v) for v in standin.violations) == [
        "conversations.open: T0001's token used on U2DANA of team T0002",
        "conversations.open: T0002's token used on U0ALICE of team T0001",
    ]
    standin.state.violations.clear()  # expected: that is how Slack answers such a DM
    for team, channel in ((ALPHA, "C0GENERAL"), (BETA, BETA_CHANNEL)):
        threads = [c for c in standin.calls_to("chat.postMessage") if c.args.get("thread_ts")]
        posts = [c for c in threads if c.args["channel"] == channel and c.ok]
        assert {c.token for c in posts} == {teams[team].bot_token}

    assert send_weekly_digest(deps=deps, client=clients, now=later) == 2
    for team, channel, own, other in (
        (ALPHA, "C0GENERAL", "Alpha adds", "Beta"),
        (BETA, BETA_CHANNEL, "Beta adds", "Alpha"),
    ):
        [digest] = [m for m in standin.messages(channel) if "Follow-through" in m["text"]]
        shown = json.dumps(digest["blocks"], ensure_ascii=False)
        assert own in shown
        assert other not in shown
        [post] = [
            c
            for c in standin.calls_to("chat.postMessage")
            if c.args["channel"] == channel and "Follow-through" in c.args["text"]
        ]
        assert post.token == teams[team].bot_token
