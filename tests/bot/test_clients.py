"""Scheduled work finds each team's client: the one bot token, or the team's installed one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.jobs.nudges import sweep
from bot.runtime.deps import Deps
from bot.slack.app import build_client
from bot.slack.clients import InstalledClients, NotInstalledError, OneClient, team_clients
from bot.standin import SlackStandIn
from tests.bot.nudging import NOW, due_actions, review
from tests.bot.oauth import oauth_bot, oauth_settings


def test_one_workspace_uses_the_bot_token_for_every_team(deps: Deps, engine: Engine) -> None:
    clients = team_clients(deps.settings, engine)
    assert isinstance(clients, OneClient)
    assert clients.for_team("T0001").token == deps.settings.slack_bot_token
    assert clients.for_team("T0002") is clients.for_team("T0001")


def test_installed_tokens_are_looked_up_per_team_kept_briefly_and_refreshed() -> None:
    tokens = {"T1": "xoxb-one", "T2": "xoxb-two"}
    lookups: list[str] = []
    now = [0.0]

    def token_for(team_id: str) -> str | None:
        lookups.append(team_id)
        return tokens.get(team_id)

    clients = InstalledClients(
        token_for=token_for,
        make_client=lambda token: WebClient(token=token),
        ttl=60,
        clock=lambda: now[0],
    )
    assert clients.for_team("T1").token == "xoxb-one"
    assert clients.for_team("T2").token == "xoxb-two"
    assert clients.for_team("T1").token == "xoxb-one"
    assert lookups == ["T1", "T2"]  # the second T1 came from the cache

    tokens["T1"] = "xoxb-reinstalled"
    now[0] = 61
    assert clients.for_team("T1").token == "xoxb-reinstalled"

    del tokens["T2"]  # uninstalled
    with pytest.raises(NotInstalledError, match="not installed in team T2"):
        clients.for_team("T2")


def test_a_missing_install_is_kept_briefly_and_a_rejected_token_is_forgotten() -> None:
    tokens = {"T1": "xoxb-one"}
    lookups: list[str] = []
    now = [0.0]

    def token_for(team_id: str) -> str | None:
        lookups.append(team_id)
        return tokens.get(team_id)

    clients = InstalledClients(
        token_for=token_for,
        make_client=lambda token: WebClient(token=token),
        ttl=300,
        miss_ttl=60,
        clock=lambda: now[0],
    )
    for _ in range(3):  # a sweep through three of T2's nudges
        with pytest.raises(NotInstalledError, match="not installed in team T2"):
            clients.for_team("T2")
    assert lookups == ["T2"]
    tokens["T2"] = "xoxb-installed"
    now[0] = 61
    assert clients.for_team("T2").token == "xoxb-installed"

    assert clients.for_team("T1").token == "xoxb-one"
    tokens["T1"] = "xoxb-reinstalled"
    clients.forget("T1")  # Slack rejected xoxb-one
    assert clients.for_team("T1").token == "xoxb-reinstalled"
    assert lookups == ["T2", "T2", "T1", "T1"]


def test_installed_clients_come_from_the_installation_store(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    team = standin.add_team("T0001", "Alpha")
    with oauth_bot(standin, database_url, engine) as app:
        assert app.install("T0001").status == 200
    clients = team_clients(oauth_settings(standin, database_url), engine)
    assert isinstance(clients, InstalledClients)
    client = clients.for_team("T0001")
    assert client.token == team.bot_token
    assert client.base_url == standin.base_url
    with pytest.raises(NotInstalledError):
        clients.for_team("T0999")


def test_a_nudge_for_a_team_without_an_install_is_retried_then_failed(
    session: Session, deps: Deps, standin: SlackStandIn, engine: Engine
) -> None:
    row = review(session)  # team T0TEAM, never installed
    due_actions(session, 1, review_row=row)
    settings = oauth_settings(standin, deps.settings.database_url).model_copy(
        update={"nudge_max_attempts": 2}
    )
    deps = replace(deps, settings=settings)
    clients = team_clients(settings, engine)

    first = sweep(deps=deps, client=clients, now=NOW)
    assert first.sent == []
    [failed] = first.failed
    assert "not installed in team T0TEAM" in failed.error
    assert "pending" in failed.error  # tried again later, with backoff
    assert standin.calls_to("chat.postMessage") == []

    later = sweep(deps=deps, client=clients, now=NOW.replace(hour=NOW.hour + 1))
    assert [d.error for d in later.failed] == [failed.error.replace("pending", "failed")]


def test_a_bare_web_client_still_serves_every_team(deps: Deps, session: Session) -> None:
    # Tools and older callers hand the sweep one WebClient: it stands for every team.
    row = review(session)
    due_actions(session, 1, review_row=row)
    assert len(sweep(deps=deps, client=build_client(deps.settings), now=NOW).sent) == 1
