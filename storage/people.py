"""What Slack last told us about people, so users.info is not called on every click."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import SlackUser


def cached_user(
    *, session: Session, team_id: str, user_id: str, fresh_after: datetime
) -> SlackUser | None:
    """The cached profile if it was fetched after `fresh_after`, else None."""
    row = session.get(SlackUser, (team_id, user_id))
    return row if row is not None and row.fetched_at >= fresh_after else None


def remember_user(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    tz: str | None,
    is_bot: bool,
    deleted: bool,
    fetched_at: datetime,
) -> SlackUser:
    """Store (or refresh) what users.info said."""
    row = session.get(SlackUser, (team_id, user_id))
    if row is None:
        try:
            with session.begin_nested():
                row = SlackUser(team_id=team_id, user_id=user_id, fetched_at=fetched_at)
                session.add(row)
        except IntegrityError:  # another request cached the same person just now
            row = session.get(SlackUser, (team_id, user_id), populate_existing=True)
            if row is None:
                raise
    row.tz, row.is_bot, row.deleted, row.fetched_at = tz, is_bot, deleted, fetched_at
    session.flush()
    return row
