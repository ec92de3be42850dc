"""Multi-workspace install: settings, the install page, the redirect and its failures."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import Engine, event, text

from bot.cli.doctor import REQUIRED_SCOPES, run_doctor
from bot.runtime.settings import SettingsError, load_settings
from bot.standin import SlackStandIn
from bot.standin.driver import Bot
from tests.bot.oauth import CLIENT_ID, CLIENT_SECRET, installed, oauth_bot
from tests.conftest import SIGNING_SECRET

NO_DOTENV = Path("/nonexistent/.env")


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SLACK_CLIENT_ID": "123.456"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "s3cret"}, "SLACK_CLIENT_ID"),
    ],
)
def test_client_id_and_secret_come_together(env: dict[str, str], missing: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env, dotenv_path=NO_DOTENV)
    assert caught.value.name == missing
    assert str(caught.value).startswith(f"{missing} is not set")
    assert "\n" not in str(caught.value)


def test_with_both_no_bot_token_is_needed_but_http_mode_is() -> None:
    settings = load_settings(
        {
            "SLACK_CLIENT_ID": "123.456",
            "SLACK_CLIENT_SECRET": "s3cret",
            "SLACK_SIGNING_SECRET": "signing",
        },
        dotenv_path=NO_DOTENV,
    )
    assert settings.oauth
    settings.require_slack(socket_mode=False)  # no SLACK_BOT_TOKEN, and that is fine
    with pytest.raises(SettingsError, match=r"^SLACK_APP_TOKEN .*HTTP mode"):
        settings.require_slack(socket_mode=True)
    assert not load_settings({}, dotenv_path=NO_DOTENV).oauth


def test_a_bot_token_beside_a_client_id_is_not_used_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {
        "SLACK_CLIENT_ID": "123.456",
        "SLACK_CLIENT_SECRET": "s3cret",
        "SLACK_SIGNING_SECRET": "x",
        "SLACK_BOT_TOKEN": "xoxb-left-over",
    }
    settings = load_settings(env, dotenv_path=NO_DOTENV)
    with caplog.at_level("WARNING", logger="aarbot.settings"):
        settings.require_slack(socket_mode=False)
    [warned] = caplog.messages
    assert warned.startswith("SLACK_BOT_TOKEN is set but not used")
    assert "/slack/install" in warned
    caplog.clear()
    del env["SLACK_BOT_TOKEN"]
    load_settings(env, dotenv_path=NO_DOTENV).require_slack(socket_mode=False)
    assert caplog.messages == []


def test_a_redirect_url_must_be_a_url() -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_REDIRECT_URI"):
        load_settings({"SLACK_REDIRECT_URI": "/slack/oauth_redirect"}, dotenv_path=NO_DOTENV)


@pytest.mark.parametrize(
    "url",
    [
        "https://aarbot.example.com/slack/oauth/callback",
        "https://aarbot.example.com/slack/oauth_redirect/",
        "https://aarbot.example.com",
    ],
)
def test_a_redirect_url_must_end_in_the_path_aarbot_serves(url: str) -> None:
    with pytest.raises(SettingsError, match="SLACK_REDIRECT_URI must end in /slack/oauth_redirect"):
        load_settings({"SLACK_REDIRECT_URI": url}, dotenv_path=NO_DOTENV)


def test_a_redirect_url_behind_a_proxy_prefix_is_taken() -> None:
    url = "https://example.com/aarbot/slack/oauth_redirect"
    settings = load_settings({"SLACK_REDIRECT_URI": url}, dotenv_path=NO_DOTENV)
    assert settings.slack_redirect_uri == url


def test_single_workspace_mode_has_no_install_routes(bot: Bot) -> None:
    assert bot.request("GET", "/slack/install").status == 404
    assert bot.request("GET", "/slack/oauth_redirect", query="code=x&state=y").status == 404


def test_the_install_page_links_to_slack_with_the_manifests_scopes(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    with oauth_bot(standin, database_url, engine) as app:
        page = app.request("GET", "/slack/install")
        assert app.request("POST", "/slack/install").status == 405
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    link = urlsplit(html.unescape(re.search(r'<a href="([^"]+)"', page.body.decode())[1]))
    assert (link.netloc, link.path) == ("slack.com", "/oauth/v2/authorize")
    query = parse_qs(link.query)
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) == REQUIRED_SCOPES
    state = query["state"][0]
    # The state is kept in the database, and the browser holds it in a cookie.
    assert f"slack-app-oauth-state={state}" in page.headers["set-cookie"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM slack_oauth_states")).scalars().all() == [state]


def test_an_install_stores_the_team_and_its_requests_get_its_token(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    team = standin.add_team("T0001", "Alpha")
    with oauth_bot(standin, database_url, engine) as app:
        done = app.install("T0001")
        assert done.status == 200, done.body
        assert b"Thank you" in done.body
        assert installed(engine) == [("T0001", team.bot_token)]
        [exchange] = standin.calls_to("oauth.v2.access")
        assert exchange.ok
        assert exchange.token is None  # the app's id and secret, not a token

        app.command("")  # /aar opens the start modal, with the installed team's token
    [opened] = standin.calls_to("views.open")
    assert opened.token == team.bot_token
    assert opened.team_id == "T0001"


def test_a_request_reads_the_installation_store_once(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    # There are no user tokens (no user scopes), so looking up the clicking user's own
    # installation as well could never find one.
    standin.add_team("T0001", "Alpha", installer="U0ALICE")
    reads: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:
        if "slack_installations" in statement or "slack_bots" in statement:
            reads.append(statement)

    with oauth_bot(standin, database_url, engine) as app:
        assert app.install("T0001").status == 200
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = app.command("help", user="U0BOB")
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert response.status == 200
    assert response.json()["response_type"] == "ephemeral"
    assert len(reads) == 1, reads


def test_a_request_from_a_team_that_never_installed_is_told_so(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    standin.add_team("T0001", "Alpha")
    with oauth_bot(standin, database_url, engine) as app:
        response = app.command("")
    assert response.status == 200
    assert standin.calls_to("views.open") == []
    [told] = standin.responses
    assert "aarbot is not installed in this workspace" in told["body"]["text"]


def _redirect(app: Bot, *, state: str, cookie_state: str | None = None, code: str = "c"):
    cookie = {"Cookie": f"slack-app-oauth-state={cookie_state or state}"}
    return app.request(
        "GET",
        "/slack/oauth_redirect",
        headers=cookie,
        query=urlencode({"code": code, "state": state}),
    )


def _states(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT state FROM slack_oauth_states")).scalars().all()


def test_a_made_up_expired_or_reused_state_gets_an_error_page_and_stores_nothing(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    standin.add_team("T0001", "Alpha")
    with oauth_bot(standin, database_url, engine) as app:
        made_up = _redirect(app, state="not-a-state", code=standin.install_code("T0001"))

        app.request("GET", "/slack/install")
        [expiring] = _states(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE slack_oauth_states SET expire_at = '2000-01-01 00:00:00'"))
        expired = _redirect(app, state=expiring, code=standin.install_code("T0001"))

        app.request("GET", "/slack/install")
        [fresh] = _states(engine)[-1:]
        other_browser = _redirect(app, state=fresh, cookie_state="another-browsers-state")
        assert installed(engine) == []
        # The same link in the right browser still works, once.
        assert _redirect(app, state=fresh, code=standin.install_code("T0001")).status == 200
        reused = _redirect(app, state=fresh, code=standin.install_code("T0001"))

    for page in (made_up, expired, reused):
        assert page.status == 401
        assert b"aarbot was not installed" in page.body
        assert b"This install link has expired or was already used." in page.body
        assert b"href='/slack/install'" in page.body
        assert page.headers["set-cookie"].startswith("slack-app-oauth-state=deleted;")
    assert other_browser.status == 400
    assert b"started in another browser" in other_browser.body
    # Only the one good install reached Slack's token exchange, and only it was stored.
    assert len(standin.calls_to("oauth.v2.access")) == 1
    assert [team for team, _token in installed(engine)] == ["T0001"]


def test_a_code_slack_refuses_stores_nothing(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    standin.add_team("T0001", "Alpha")
    with oauth_bot(standin, database_url, engine) as app:
        app.request("GET", "/slack/install")
        [state] = _states(engine)
        page = _redirect(app, state=state, code="a-code-slack-never-issued")
    assert page.status == 401
    assert b"did not accept the code" in page.body
    [exchange] = standin.calls_to("oauth.v2.access")
    assert exchange.error == "invalid_code"
    assert installed(engine) == []


def test_a_cancelled_install_says_so(
    standin: SlackStandIn, database_url: str, engine: Engine
) -> None:
    with oauth_bot(standin, database_url, engine) as app:
        page = app.request("GET", "/slack/oauth_redirect", query="error=access_denied&state=x")
    assert b"cancelled" in page.body
    assert installed(engine) == []


def test_the_doctor_checks_each_installed_workspace_instead_of_one_token(
    standin: SlackStandIn,
    database_url: str,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
        "DATABASE_URL": database_url,
    }

    def doctor() -> tuple[int, list[str]]:
        out = io.StringIO()
        return run_doctor(out=out, environ=env), out.getvalue().splitlines()

    code, lines = doctor()
    assert code == 1
    assert any(
        line.startswith("fix installations: none yet: open /slack/install") for line in lines
    )
    assert not any("SLACK_BOT_TOKEN" in line for line in lines)

    standin.add_team("T0001", "Alpha")
    standin.add_team("T0002", "Beta", installer="U2DANA")
    with oauth_bot(standin, database_url, engine) as app:
        for team in ("T0001", "T0002"):
            assert app.install(team).status == 200
    code, lines = doctor()
    assert code == 0, lines
    assert "ok  installed in Alpha (T0001), bot user @aarbot (U0BOT)" in lines
    assert "ok  installed in Beta (T0002), bot user @aarbot (U0002BOT)" in lines
    assert (
        f"ok  scopes in Beta (T0002): all {len(REQUIRED_SCOPES)} that manifest.yml declares"
        in lines
    )


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}},
    ],
)
def test_an_uninstall_or_a_revoked_bot_token_forgets_only_that_team(
    standin: SlackStandIn, database_url: str, engine: Engine, event: dict
) -> None:
    alpha = standin.add_team("T0001", "Alpha")
    beta = standin.add_team("T0002", "Beta")
    with oauth_bot(standin, database_url, engine) as app:
        app.install("T0001")
        app.install("T0002")
        assert app.event(event, team="T0001").status == 200
        assert installed(engine) == [("T0002", beta.bot_token)]
        app.command("", team="T0001")  # Alpha is told to reinstall; nothing uses its token
    assert all(call.token != alpha.bot_token for call in standin.calls_to("views.open"))
    assert "aarbot is not installed in this workspace" in str(standin.responses[-1]["body"])
