"""What Slack last told us about people, so users.info is not called on every click."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.home import open_actions_of
from storage.models import Action, ActionStatus, Review, SlackUser


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


def owners_with_open_actions(*, session: Session) -> list[tuple[str, str]]:
    """(team id, user id) of everyone who owns an open action."""
    rows = session.exec(
        select(Review.team_id, Action.owner_id)
        .join(Action, col(Action.review_id) == Review.id)
        .where(Action.status == ActionStatus.OPEN)
        .distinct()
    ).all()
    return [(team, owner) for team, owner in rows]


def open_actions_owned_by(*, session: Session, team_id: str, user_id: str) -> list[Action]:
    """One person's open actions in one workspace: their Home's list, all of it."""
    found = open_actions_of(session=session, team_id=team_id, user_id=user_id, limit=None)
    return [action for action, _ in found]
