"""The weekly digest's queries: which channels get one, what it lists, and when it last went."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Action, ActionStatus, ChannelDigest, Review


@dataclass(frozen=True)
class ChannelActions:
    """What one channel's digest lists, each action with its review."""

    due_this_week: Sequence[tuple[Action, Review]]
    overdue: Sequence[tuple[Action, Review]]
    done: Sequence[tuple[Action, Review]]

    @property
    def empty(self) -> bool:
        """True when the digest would have nothing to say."""
        return not (self.due_this_week or self.overdue or self.done)


def _actions_in(team_id: str, channel_id: str):
    # Confidential reviews stay out: a digest must not surface them to the whole channel.
    return (
        select(Action, Review)
        .join(Review, col(Review.id) == Action.review_id)
        .where(
            Review.team_id == team_id,
            Review.channel_id == channel_id,
            col(Review.confidential).is_(False),
        )
    )


def channels_with_open_actions(*, session: Session) -> list[tuple[str, str]]:
    """(team_id, channel_id) of every channel with a non-confidential review's open action."""
    rows = session.exec(
        select(Review.team_id, Review.channel_id)
        .join(Action, col(Action.review_id) == Review.id)
        .where(Action.status == ActionStatus.OPEN, col(Review.confidential).is_(False))
        .distinct()
        .order_by(Review.team_id, Review.channel_id)
    ).all()
    return [(team, channel) for team, channel in rows]


def channel_actions(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    today: date,
    week_end: date,
    done_since: datetime,
    limit: int = 20,
) -> ChannelActions:
    """Open actions due from today to week_end, open ones overdue, and ones done since."""
    base = _actions_in(team_id, channel_id)
    is_open = Action.status == ActionStatus.OPEN
    by_date = (col(Action.review_date), col(Action.id))
    due = base.where(is_open, col(Action.review_date) >= today, col(Action.review_date) <= week_end)
    overdue = base.where(is_open, col(Action.review_date) < today)
    done = base.where(Action.status == ActionStatus.DONE, col(Action.completed_at) >= done_since)
    return ChannelActions(
        due_this_week=[tuple(r) for r in session.exec(due.order_by(*by_date).limit(limit))],
        overdue=[tuple(r) for r in session.exec(overdue.order_by(*by_date).limit(limit))],
        done=[
            tuple(r)
            for r in session.exec(done.order_by(col(Action.completed_at)).limit(limit)).all()
        ],
    )  # type: ignore[arg-type]


def last_digest_at(*, session: Session, team_id: str, channel_id: str) -> datetime | None:
    """When the channel last got its digest, or None if never."""
    row = session.get(ChannelDigest, (team_id, channel_id))
    return row.sent_at if row else None


def mark_digest_sent(
    *, session: Session, team_id: str, channel_id: str, previous: datetime | None, now: datetime
) -> bool:
    """Record this week's digest; False if another process recorded one since `previous`."""
    if previous is None:
        try:
            with session.begin_nested():
                session.add(ChannelDigest(team_id=team_id, channel_id=channel_id, sent_at=now))
            return True
        except IntegrityError:
            return False
    result = session.exec(
        update(ChannelDigest)
        .where(
            ChannelDigest.team_id == team_id,
            ChannelDigest.channel_id == channel_id,
            ChannelDigest.sent_at == previous,
        )
        .values(sent_at=now)
    )
    return bool(result.rowcount)


def unmark_digest_sent(
    *, session: Session, team_id: str, channel_id: str, sent_at: datetime, previous: datetime | None
) -> bool:
    """Give back a mark whose digest was not posted: `previous` again, unless marked since."""
    ours = (
        ChannelDigest.team_id == team_id,
        ChannelDigest.channel_id == channel_id,
        ChannelDigest.sent_at == sent_at,
    )
    if previous is None:
        result = session.exec(delete(ChannelDigest).where(*ours))
    else:
        result = session.exec(update(ChannelDigest).where(*ours).values(sent_at=previous))
    return bool(result.rowcount)
