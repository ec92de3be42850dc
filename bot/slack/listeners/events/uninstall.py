"""The app removed from a workspace, or its bot token revoked: forget that workspace's tokens.

In a multi-workspace install the tokens live in the installation store; keeping a revoked one
would only make every later call for that team fail. The team's reviews stay, so a reinstall
carries on where it left off (failed nudges come back with `aarbot nudges retry-failed`).
"""

from __future__ import annotations

import logging

from slack_bolt import BoltContext

from bot.runtime.deps import Deps
from bot.slack.install import installation_store
from bot.slack.listeners.session import after_ack

log = logging.getLogger("aarbot.install")


@after_ack
def on_uninstalled(context: BoltContext, deps: Deps) -> None:
    """app_uninstalled: delete every installation of the team."""
    team_id = context.team_id or ""
    if not deps.settings.oauth:
        log.warning("aarbot was uninstalled from %s; its SLACK_BOT_TOKEN no longer works", team_id)
        return
    store = installation_store(deps.settings, deps.engine)
    store.delete_all(enterprise_id=context.enterprise_id, team_id=team_id)
    log.warning("aarbot was uninstalled from %s: its installation is deleted", team_id)


@after_ack
def on_tokens_revoked(event: dict, context: BoltContext, deps: Deps) -> None:
    """tokens_revoked: when the bot's token is among them, delete the team's bot installation."""
    revoked_bots = (event.get("tokens") or {}).get("bot") or []
    if not revoked_bots or not deps.settings.oauth:
        return
    store = installation_store(deps.settings, deps.engine)
    store.delete_all(enterprise_id=context.enterprise_id, team_id=context.team_id)
    log.warning("the bot token of %s was revoked: its installation is deleted", context.team_id)
