"""Who may see a review: the one rule search, stats and App Home all apply.

A review is visible to everyone in its workspace unless it is confidential; a confidential one
only to its facilitator, its participants (listed at the start, or who answered) and the leads.
Owning one of its actions grants the action, not the review: the owner sees and acts on the
action, with the review unnamed (bot/blocks/kit.py HIDDEN). Another review's thread may name a
confidential review only in its own channel. The rule is SQL text so the raw full-text
queries (storage/search.py) and the ORM queries share the very same words.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import TextClause, text
from sqlmodel import Session, col, select

from storage.models import Review


def _alias(alias: str) -> str:
    # Only the alias, a name from our own code, is formatted in; values are bound parameters.
    if not alias.isidentifier():
        raise ValueError(f"not a table alias: {alias!r}")
    return alias


def visible_sql(alias: str = "reviews") -> str:
    """SQL that is true when `:viewer` (a lead when `:lead`) may see the review `alias`."""
    alias = _alias(alias)
    return (
        f"(:lead OR NOT {alias}.confidential OR {alias}.facilitator_id = :viewer"  # noqa: S608
        " OR EXISTS (SELECT 1 FROM participants vp"
        f" WHERE vp.review_id = {alias}.id AND vp.user_id = :viewer))"
    )


def listed_in_channel_sql(alias: str = "reviews") -> str:
    """SQL that is true when the review `alias` may be named in a thread of channel `:channel`.

    A confidential review only in its own channel, whose readers already saw it posted; even
    there its answers are not repeated (flows/repeats.py), as a lesson card leaves them out.
    """
    alias = _alias(alias)
    return f"(NOT {alias}.confidential OR {alias}.channel_id = :channel)"


def visible_to(*, viewer_id: str, is_lead: bool) -> TextClause:
    """A WHERE clause keeping the reviews (table `reviews`) this person may see."""
    return text(visible_sql()).bindparams(viewer=viewer_id, lead=is_lead)


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
