"""Repeat detection: which past reviews look like the same failure, and when a chain escalates.

The database's full-text search finds candidates that share any word with the new review;
a plain word-overlap score over what happened and its root cause then decides which are
alike enough to show, so one common word ("deploy") does not make every review a repeat.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlmodel import Session

from flows.review import ReviewError, public_answers, require_steer, what_happened_question
from flows.templates import Question, Template
from storage import lessons as lesson_store
from storage import repeats as store
from storage import reviews
from storage.models import Action, ActionStatus, Answer, Review
from storage.search import STOPWORDS, words

SHOWN = 3
MIN_SIMILARITY = 0.2
MIN_SHARED_WORDS = 2
_WORD = re.compile(r"[^\W\d_]{3,}")
# Words that say nothing about which failure it was, on top of search's stopwords.
_GENERIC = STOPWORDS | frozenset(
    re.findall(
        r"\w+",
        "about after again all also any because been before being both did does doing down "
        "during each few got had into just more most not now off once only other out over "
        "same some such than them they too under until very went what when where which while "
        "who why will would yet you your one two three time times day days week",
    )
)
_SUFFIXES = ("ing", "ed", "es", "s")
_T = TypeVar("_T", Answer, Action)


class RepeatError(ReviewError):
    """A repeat marking the rules refuse; the message says why."""


@dataclass(frozen=True)
class Past:
    """A past review that looks like this one, with what it learned and did.

    A confidential one keeps its root cause and lesson to itself (both None), as its lesson
    card keeps its answers.
    """

    review: Review
    score: float
    root_cause: str | None
    lesson: str | None
    actions_done: int
    actions_total: int
    confidential: bool = False


def terms(text: str) -> set[str]:
    """The content words of a text, lower-cased with plural and tense endings cut."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if word not in _GENERIC:
            found.add(_stem(word))
    return found


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def similarity(a: set[str], b: set[str]) -> float:
    """Cosine of two word sets, 0 unless they share at least MIN_SHARED_WORDS words."""
    shared = len(a & b)
    if shared < MIN_SHARED_WORDS:
        return 0.0
    return shared / math.sqrt(len(a) * len(b))


def _public_text(answers: Sequence[Answer], question: Question | None) -> str:
    return " ".join(a.text for a in public_answers(answers, question.key if question else None))


def what_happened(*, session: Session, review: Review, template: Template) -> str:
    """What the review says happened so far ("" until someone has said)."""
    question = what_happened_question(template)
    if question is None:
        return ""
    answers = reviews.answers(session=session, review_id=review.id, question_key=question.key)
    return _public_text(answers, question).strip()


def find_similar(
    *, session: Session, review: Review, happened: str, template_of: Callable[[str], Template]
) -> list[Past]:
    """Up to SHOWN earlier reviews of the workspace that look like this failure, best first."""
    mine = terms(f"{review.title} {happened}")
    pool = store.candidates(
        session=session, review=review, terms=words(f"{review.title} {happened}")
    )
    said = _by_review(reviews.answers_of(session=session, review_ids=[p.id for p in pool]))
    scored: list[tuple[float, Review, str]] = []
    for past in pool:
        template = template_of(past.template)
        answers = said.get(past.id, [])
        question = what_happened_question(template)
        root_cause = _public_text(answers, template.root_cause_question())
        theirs = f"{past.title} {_public_text(answers, question)}"
        score = similarity(mine, terms(f"{theirs} {root_cause}"))
        if score >= MIN_SIMILARITY:
            scored.append((score, past, root_cause))
    scored.sort(key=lambda s: (-s[0], -(s[1].id or 0)))
    return _pasts(session, scored[:SHOWN])


def _by_review(rows: Sequence[_T]) -> dict[int, list[_T]]:
    grouped: dict[int, list[_T]] = {}
    for row in rows:
        grouped.setdefault(row.review_id, []).append(row)
    return grouped


def _pasts(session: Session, shown: Sequence[tuple[float, Review, str]]) -> list[Past]:
    ids = [review.id for _, review, _ in shown if review.id is not None]
    actions = _by_review(store.actions_of(session=session, review_ids=ids))
    # A confidential review's lesson and root cause are not shown, so not even read.
    open_ids = [review.id for _, review, _ in shown if not review.confidential]
    lessons = lesson_store.lessons_of(session=session, review_ids=open_ids)
    pasts = []
    for score, review, root_cause in shown:
        done = actions.get(review.id, [])
        pasts.append(
            Past(
                review=review,
                score=score,
                root_cause=None if review.confidential else root_cause or None,
                lesson=lessons.get(review.id),
                actions_done=sum(1 for a in done if a.status == ActionStatus.DONE),
                actions_total=len(done),
                confidential=review.confidential,
            )
        )
    return pasts


def mark_repeat(
    *, session: Session, review: Review, past_id: int, user_id: str, leads: Sequence[str]
) -> Review:
    """The facilitator says this review is the same failure as one of those offered."""
    require_steer(review, user_id, leads, "mark this review as a repeat")
    if past_id not in store.offered(store.check_of(session=session, review_id=review.id)):
        raise RepeatError("That review was not one of the similar ones offered here.")
    past = reviews.get_review(session=session, review_id=past_id)
    if past is None:
        raise RepeatError("That past review no longer exists.")
    review.repeat_of_id = past.id
    reviews.touch(review)
    return past


def chain(*, session: Session, review: Review, window_days: int) -> list[Review]:
    """This review and those it repeats, oldest first, as far back as the window reaches."""
    found, seen = [review], {review.id}
    start = review.created_at - timedelta(days=window_days)
    current = review
    # One read per link: a link is a repeat someone marked in the window, so chains are short.
    while current.repeat_of_id and current.repeat_of_id not in seen:
        earlier = reviews.get_review(session=session, review_id=current.repeat_of_id)
        if earlier is None or earlier.created_at < start:
            break
        found.append(earlier)
        seen.add(earlier.id)
        current = earlier
    return found[::-1]


def due_escalation(
    *, session: Session, review: Review, threshold: int, window_days: int
) -> list[Review] | None:
    """The chain to escalate if this review brings it to the threshold and it is not yet done."""
    found = chain(session=session, review=review, window_days=window_days)
    if len(found) < threshold or store.escalation_of(session=session, review_id=review.id):
        return None
    store.record_escalation(
        session=session,
        team_id=review.team_id,
        review_id=review.id,
        chain_ids=newest_that_fit([r.id for r in found if r.id is not None]),
    )
    return found


def newest_that_fit(ids: Sequence[int], width: int = store.CHAIN_IDS_LENGTH) -> list[int]:
    """The newest of these ids (oldest first) whose comma-joined text fits in `width`."""
    kept: list[int] = []
    length = -1  # no comma before the first
    for review_id in reversed(ids):
        length += len(str(review_id)) + 1
        if length > width:
            break
        kept.append(review_id)
    return kept[::-1]
