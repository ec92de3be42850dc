"""Owners' time zones, refreshed daily: someone who moved gets their nudges at their new 9:00."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import people
from bot.clients import NotInstalledError, TeamClients, as_team_clients
from bot.deps import Deps
from flows.actions import plan_nudges
from storage.db import session_scope
from storage.people import open_actions_owned_by, owners_with_open_actions

log = logging.getLogger("aarbot.zones")


def refresh_owner_zones(*, deps: Deps, client: WebClient | TeamClients) -> int:
    """Re-read stale owners from users.info; re-plan actions whose owner's zone changed."""
    clients = as_team_clients(client)
    with session_scope(deps.engine) as session:
        owners = owners_with_open_actions(session=session)
    replanned = 0
    for team_id, user_id in owners:
        # One transaction per owner, so one failing lookup does not undo the others.
        try:
            with session_scope(deps.engine) as session:
                owner = people.lookup(
                    client=clients.for_team(team_id),
                    session=session,
                    deps=deps,
                    team_id=team_id,
                    user_id=user_id,
                )
                if owner is None:
                    continue
                for action in open_actions_owned_by(
                    session=session, team_id=team_id, user_id=user_id
                ):
                    if action.owner_tz != owner.tz:
                        action.owner_tz = owner.tz
                        plan_nudges(
                            session=session,
                            action=action,
                            policy=deps.settings.nudge_policy(),
                            now=deps.clock(),
                            fallback_tz=deps.settings.default_tz,
                        )
                        replanned += 1
        except SlackApiError as err:
            log.warning("could not refresh %s: %s", user_id, err.response.get("error"))
        except NotInstalledError as err:
            log.warning("could not refresh %s: %s", user_id, err)
    return replanned
