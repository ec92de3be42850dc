"""Owners' time zones, refreshed daily: someone who moved gets their nudges at their new 9:00."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session

from bot.runtime.deps import Deps
from bot.slack import people
from bot.slack.clients import TeamClients, as_team_clients
from flows.nudges import plan
from storage import nudges as nudge_store
from storage.db import session_scope
from storage.models import Action
from storage.people import open_actions_owned_by, owners_with_open_actions

log = logging.getLogger("aarbot.zones")
_EVER = datetime(1970, 1, 1, tzinfo=UTC)


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
                        _move(session, deps, action, owner.tz)
                        replanned += 1
        except (SlackClientError, OSError) as err:
            # Slack's refusal, a timeout or a team without an install: this owner waits.
            if isinstance(err, SlackApiError):
                log.warning("could not refresh %s: %s", user_id, err.response.get("error"))
            else:
                log.warning("could not refresh %s: %s: %s", user_id, type(err).__name__, err)
    return replanned


def _move(session: Session, deps: Deps, action: Action, tz: str) -> None:
    """Re-plan an open action's nudges in its owner's new zone, for the same review date.

    A kind already sent (or being sent) at its time in the old zone is not planned again:
    the owner has had that reminder, and its new time may still be ahead. Only here, not in
    every re-plan: a reschedule (flows/followup.py) plans a new date's reminders afresh.
    """
    policy, fallback = deps.settings.nudge_policy(), deps.settings.default_tz
    before = plan(
        review_date=action.review_date,
        owner_tz=action.owner_tz,
        policy=policy,
        now=_EVER,
        fallback_tz=fallback,
    )
    had = nudge_store.delivered_kinds(
        session=session, action_id=action.id, among=[(p.kind, p.due_at) for p in before]
    )
    action.owner_tz = tz
    after = plan(
        review_date=action.review_date,
        owner_tz=tz,
        policy=policy,
        now=deps.clock(),
        fallback_tz=fallback,
    )
    nudge_store.replace_plan(
        session=session,
        action_id=action.id,
        planned=[(p.kind, p.due_at) for p in after if p.kind not in had],
    )
