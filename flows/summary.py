"""What a closed review's summary says, as plain data for rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from flows.templates import GAP_LABELS, Question, QuestionKind, Template
from storage import reviews as store
from storage.models import Action, Answer, Review


@dataclass(frozen=True)
class Summary:
    """The review's answers question by question, its gap type and its actions."""

    review: Review
    template: Template
    sections: Sequence[tuple[Question, Sequence[Answer]]]
    actions: Sequence[Action]
    gap_label: str | None


def build(*, session: Session, review: Review, template: Template) -> Summary:
    """Gather everything the summary shows, in the template's order."""
    answers = store.answers(session=session, review_id=review.id)
    sections = [
        (q, [a for a in answers if a.question_key == q.key])
        for q in template.questions
        if q.kind != QuestionKind.ACTIONS
    ]
    gap = GAP_LABELS.get(review.gap_type) if review.gap_type else None
    return Summary(
        review=review,
        template=template,
        sections=sections,
        actions=store.actions(session=session, review_id=review.id),
        gap_label=gap,
    )
