"""Multi-workspace install: Slack's OAuth v2 flow, with installations kept in our database.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. slack_sdk's SQLAlchemy stores keep
the installations and the one-time `state` values in tables that migration 0005 creates;
nothing here calls their `create_tables()`, because the migrations own the schema.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, desc, func, select

from bot.runtime.settings import Settings
from bot.slack.scopes import INSTALL_PATH, REDIRECT_PATH, REQUIRED_SCOPES

log = logging.getLogger("aarbot.install")

# How long the link on the install page stays good; Slack's own default is the same.
STATE_SECONDS = 600
# What someone sees who uses aarbot in a workspace with no (or a revoked) installation.
NOT_INSTALLED = (
    ":warning: aarbot is not installed in this workspace, or its install was removed. "
    f"Ask whoever runs aarbot to add it again from its install page ({INSTALL_PATH})."
)

_WHY = {
    "access_denied": "The install was cancelled in Slack, so nothing was installed.",
    "invalid_state": "This install link has expired or was already used.",
    "invalid_browser": (
        "This install was started in another browser, or the browser did not keep its "
        "cookie. Start it again in this browser."
    ),
    "missing_code": "Slack did not send the code that confirms the install.",
    "invalid_code": "Slack did not accept the code that confirms the install; it may have expired.",
    "storage_error": "aarbot could not save the install; its logs say why.",
}


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    """slack_sdk's installation store on our database (tables from migration 0005)."""
    return SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id, engine=engine, logger=log
    )


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth settings: the manifest's bot scopes, our stores, our routes and pages."""
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=sorted(REQUIRED_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri or None,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=_installed, failure=_failed),
        installation_store=installation_store(settings, engine),
        # Bot tokens only: with no user scopes there is never a user's own install to look up.
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=engine, logger=log
        ),
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )


def authorize(settings: OAuthSettings, client: WebClient) -> InstallationStoreAuthorize:
    """Each request's team token from the store; auth.test once per token, not per request."""
    return InstallationStoreAuthorize(
        logger=log,
        installation_store=settings.installation_store,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        # One find_bot per request, not find_installation for the team and then for the user.
        bot_only=settings.installation_store_bot_only,
        # Keyed by token: a reinstall brings a new token, so a stale entry is never used.
        cache_enabled=True,
        client=client,
    )


def _installed(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    log.info("installed in %s (%s)", installation.team_name, installation.team_id)
    return args.default.success(args)


def _failed(args: FailureArgs) -> BoltResponse:
    """A page that says in plain words what went wrong and links back to the start."""
    log.warning("install failed: %s", args.reason)
    why = _WHY.get(args.reason) or f"Slack reported {args.reason!r}."
    start = html.escape(args.settings.install_path)
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>aarbot was not installed"
        "</title></head><body style='font-family:sans-serif;padding:2em;text-align:center'>"
        f"<h1>aarbot was not installed</h1><p>{html.escape(why)}</p>"
        f"<p><a href='{start}'>Start the install again</a></p></body></html>"
    )
    return BoltResponse(
        status=args.suggested_status_code,
        body=body,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
    )


@dataclass(frozen=True)
class InstalledTeam:
    """One workspace aarbot is installed in, as its latest installation says."""

    team_id: str
    team_name: str
    bot_scopes: frozenset[str]
    installed_at: datetime


def installed_teams(store: SQLAlchemyInstallationStore) -> list[InstalledTeam]:
    """Every workspace with a bot token for this app, by team id (latest install of each)."""
    bots = store.bots
    c = bots.c
    latest = (
        select(c.team_id, func.max(c.installed_at).label("at"))
        .where(c.client_id == store.client_id, c.bot_token.is_not(None), c.team_id.is_not(None))
        .group_by(c.team_id)
        .subquery()
    )
    query = (
        select(c.team_id, c.team_name, c.bot_scopes, c.installed_at)
        .join(latest, (c.team_id == latest.c.team_id) & (c.installed_at == latest.c.at))
        .where(c.client_id == store.client_id)
        .order_by(c.team_id)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    teams = {
        row.team_id: InstalledTeam(
            team_id=row.team_id,
            team_name=row.team_name or "",
            bot_scopes=frozenset(s.strip() for s in (row.bot_scopes or "").split(",") if s),
            installed_at=row.installed_at,
        )
        for row in rows
    }
    return list(teams.values())


def latest_bot_token(store: SQLAlchemyInstallationStore, team_id: str) -> str | None:
    """The bot token of this team's latest install, whatever its enterprise, or None."""
    c = store.bots.c
    query = (
        select(c.bot_token)
        .where(c.client_id == store.client_id, c.team_id == team_id, c.bot_token.is_not(None))
        .order_by(desc(c.installed_at), desc(c.id))
        .limit(1)
    )
    with store.engine.connect() as conn:
        return conn.execute(query).scalar()
