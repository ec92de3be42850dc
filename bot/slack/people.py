"""Who someone is, from users.info, cached in the database for a day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.runtime.deps import Deps
from flows.actions import Owner
from storage.models import SlackUser
from storage.people import cached_user, remember_user

log = logging.getLogger("aarbot.people")

FRESH_FOR = timedelta(days=1)
# How long a modal's owner check waits for users.info; Slack's own ack deadline is 3 s.
LOOKUP_TIMEOUT = 1.5
_EVER = datetime(1970, 1, 1, tzinfo=UTC)


def known(*, session: Session, deps: Deps, team_id: str, user_id: str) -> Owner | None:
    """What users.info last said about the person, however long ago; None if never asked.

    Only the database, never Slack: for the checks a modal must finish before its ack.
    """
    row = cached_user(session=session, team_id=team_id, user_id=user_id, fresh_after=_EVER)
    return _owner(row, deps) if row is not None else None


def lookup(
    *, client: WebClient, session: Session, deps: Deps, team_id: str, user_id: str
) -> Owner | None:
    """The person's bot/deactivated flags and time zone; None if Slack does not know them."""
    now = deps.clock()
    row = cached_user(
        session=session, team_id=team_id, user_id=user_id, fresh_after=now - FRESH_FOR
    )
    if row is None:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as err:
            if err.response.get("error") == "user_not_found":
                return None
            raise
        row = _remember(session, team_id, user_id, user, now)
    return _owner(row, deps)


def _remember(session: Session, team_id: str, user_id: str, user: dict, now: datetime):
    """Keep what users.info said of the person."""
    return remember_user(
        session=session,
        team_id=team_id,
        user_id=user_id,
        tz=user.get("tz"),
        is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
        deleted=bool(user.get("deleted")),
        fetched_at=now,
    )


def unknown_to_slack(
    *, client: WebClient, session: Session, deps: Deps, team_id: str, user_id: str
) -> bool:
    """Look the person up ahead of a check that reads only the database (`known`); True only
    when Slack says there is no such person.

    A failed call is logged, not raised: nothing is lost, as the check asks again.
    """
    try:
        found = lookup(client=client, session=session, deps=deps, team_id=team_id, user_id=user_id)
    except SlackApiError as err:
        log.warning("could not look up %s: %s", user_id, err.response.get("error"))
        return False
    return found is None


def look_up_now(*, client: WebClient, deps: Deps, team_id: str, user_id: str) -> str | None:
    """Make sure the database knows what Slack says of the person, asking Slack now if it
    does not (for a modal's check, before its ack: a short timeout, no retries).

    Returns None when the person is known now; else why not: "unknown" when Slack has no such
    person, "unanswered" when Slack did not answer in time. Each step is a transaction of its
    own, so no lock is held while Slack answers.
    """
    from storage.db import session_scope

    with session_scope(deps.engine) as session:
        if known(session=session, deps=deps, team_id=team_id, user_id=user_id) is not None:
            return None
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT)
    try:
        user = quick.users_info(user=user_id)["user"]
    except SlackApiError as err:
        if err.response.get("error") == "user_not_found":
            return "unknown"
        log.warning("could not look up %s: %s", user_id, err.response.get("error"))
        return "unanswered"
    except OSError as err:
        log.warning("could not look up %s in time: %s", user_id, err)
        return "unanswered"
    with session_scope(deps.engine) as session:
        _remember(session, team_id, user_id, user, deps.clock())
    return None


def _owner(row: SlackUser, deps: Deps) -> Owner:
    return Owner(
        user_id=row.user_id,
        is_bot=row.is_bot,
        deleted=row.deleted,
        tz=row.tz or deps.settings.default_tz,
    )
