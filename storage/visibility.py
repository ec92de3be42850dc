"""Who may see a review: the one rule search, stats and App Home all apply.

A review is visible to everyone in its workspace unless it is confidential; a confidential one
only to its facilitator, its participants (listed at the start, or who answered) and the leads.
Owning one of its actions grants the action, not the review: the owner sees and acts on the
action, with the review unnamed (bot/slack/blocks/kit.py HIDDEN). Another review's thread may name a
confidential review only in its own channel. The rule is one SQLAlchemy expression over the
`reviews` table, so the full-text queries (storage/search.py) and the ORM queries share it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, exists, not_, or_, true
from sqlmodel import Session, col, select

from storage.models import Participant, Review

_PARTICIPANTS = Participant.__table__.alias("vp")  # type: ignore[attr-defined]


def visible_to(*, viewer_id: str, is_lead: bool) -> ColumnElement[bool]:
    """A WHERE clause keeping the reviews (table `reviews`) this person may see."""
    if is_lead:
        return true()
    # An alias of its own, so a query that joins participants itself leaves this one alone.
    is_participant = exists().where(
        and_(_PARTICIPANTS.c.review_id == Review.id, _PARTICIPANTS.c.user_id == viewer_id)
    )
    return or_(not_(col(Review.confidential)), Review.facilitator_id == viewer_id, is_participant)


def listed_in_channel(*, channel_id: str) -> ColumnElement[bool]:
    """True when a review (table `reviews`) may be named in a thread of this channel.

    A confidential review only in its own channel, whose readers already saw it posted; even
    there its answers are not repeated (flows/repeats.py), as a lesson card leaves them out.
    """
    return or_(not_(col(Review.confidential)), Review.channel_id == channel_id)


def visible_review_ids(
    *, session: Session, review_ids: Iterable[int], viewer_id: str, is_lead: bool
) -> set[int]:
    """Those of `review_ids` this person may see."""
    ids = set(review_ids)
    if not ids:
        return set()
    rows = session.exec(
        select(Review.id).where(
            col(Review.id).in_(ids), visible_to(viewer_id=viewer_id, is_lead=is_lead)
        )
    )
    return {int(review_id) for review_id in rows if review_id is not None}


def can_see(*, session: Session, review: Review, viewer_id: str, is_lead: bool) -> bool:
    """Whether this person may see this review: its name on a DM, the Home or a list."""
    # Asked of the database, not re-decided here, so the rule is written down once.
    return review.id is not None and review.id in visible_review_ids(
        session=session, review_ids=[review.id], viewer_id=viewer_id, is_lead=is_lead
    )
