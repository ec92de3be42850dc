"""Sharing a closed review's lesson: who may, what the card says, and what a share must have."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from flows.review import ReviewError, may_steer, public_answers, what_happened_question
from flows.templates import GAP_LABELS, Template
from storage import reviews as store
from storage.lessons import LESSON_KEY
from storage.models import Action, Answer, Review, Stage

LESSON_LIMIT = 500
MAX_CHANNELS = 5


class ShareError(ReviewError):
    """A share the rules refuse; the message says why."""


@dataclass(frozen=True)
class Card:
    """What a "What we learned" card shows; answers are left out of a confidential review's."""

    review: Review
    lesson: str
    what_happened: str | None
    root_cause: str | None
    gap_label: str | None
    actions: Sequence[Action]


def require_shareable(review: Review, user_id: str, leads: Sequence[str]) -> None:
    """Raise ShareError unless the review is closed and this person facilitates it or leads."""
    if not may_steer(review, user_id, leads):
        raise ShareError(
            f"Only the facilitator (<@{review.facilitator_id}>) or a lead can share this lesson."
        )
    if review.stage not in (Stage.CLOSED, Stage.SHARED):
        raise ShareError("Close the review first: a lesson is shared from a closed review.")


def draft_lesson(*, session: Session, review: Review) -> str:
    """The lesson the share modal starts with: the "what we learned" answers, within the limit."""
    answers = public_answers(store.answers(session=session, review_id=review.id), LESSON_KEY)
    return " ".join(" ".join(a.text.split()) for a in answers)[:LESSON_LIMIT]


def check_share(
    *, lesson: str, channels: Sequence[str], confidential: bool, confirmed: bool
) -> dict[str, str]:
    """What is wrong with a share modal's input, by field: lesson, channels, confirm."""
    errors: dict[str, str] = {}
    if not lesson.strip():
        errors["lesson"] = "Write the lesson other teams should take away."
    elif len(lesson.strip()) > LESSON_LIMIT:
        errors["lesson"] = f"Keep the lesson to {LESSON_LIMIT} characters (it has {len(lesson)})."
    if not channels:
        errors["channels"] = "Pick at least one channel to post the card to."
    elif len(channels) > MAX_CHANNELS:
        errors["channels"] = f"Pick at most {MAX_CHANNELS} channels."
    if confidential and not confirmed:
        errors["confirm"] = "This review is confidential: tick the box to share its lesson."
    return errors


def _one_line(answers: Sequence[Answer], limit: int) -> str | None:
    text = " ".join(" ".join(a.text.split()) for a in answers)
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def card(*, session: Session, review: Review, template: Template, lesson: str) -> Card:
    """The card's facts. A confidential review's card keeps to the lesson, gap and actions."""
    actions = store.actions(session=session, review_id=review.id)
    gap = GAP_LABELS.get(review.gap_type) if review.gap_type else None
    if review.confidential:
        return Card(review, lesson, None, None, gap, actions)
    answers = store.answers(session=session, review_id=review.id)
    happened = what_happened_question(template)
    cause = template.root_cause_question()
    return Card(
        review=review,
        lesson=lesson,
        what_happened=_one_line(public_answers(answers, happened.key if happened else None), 200),
        root_cause=_one_line(public_answers(answers, cause.key if cause else None), 300),
        gap_label=gap,
        actions=actions,
    )


def mark_shared(review: Review) -> None:
    """At least one card is out: the review is closed and shared."""
    review.stage = Stage.SHARED
    store.touch(review)
