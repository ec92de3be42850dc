"""The review's rules: who may steer it, where it is, what an answer goes to, when it may close."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from flows.coaching import BlameFinding, find_blame
from flows.templates import Question, QuestionKind, Template
from storage import reviews as store
from storage.models import Action, Answer, AnswerSource, Review, Stage
from storage.types import utcnow

TITLE_LIMIT = 150
ANSWER_LIMIT = 3000
RECORDING_STAGES = (Stage.PERSPECTIVES, Stage.DISCUSSION, Stage.ACTIONS)
BUILTIN_KINDS = {"miss": "miss", "success": "success", "postmortem": "incident"}


class ReviewError(Exception):
    """Something the user asked for that the rules refuse; the message says why, kindly."""


@dataclass(frozen=True)
class Recorded:
    """An answer that was stored, the question it went to, and any coaching for its author."""

    answer: Answer
    question: Question
    blame: BlameFinding | None


@dataclass(frozen=True)
class Moved:
    """The question just closed (with its answers) and the one now open."""

    closed: Question
    closed_answers: Sequence[Answer]
    current: Question


def may_steer(review: Review, user_id: str, leads: Sequence[str]) -> bool:
    """Only the facilitator or a lead moves, closes, reopens or classifies a review."""
    return user_id == review.facilitator_id or user_id in leads


def require_steer(review: Review, user_id: str, leads: Sequence[str], doing: str) -> None:
    """Raise ReviewError unless this user may steer the review."""
    if not may_steer(review, user_id, leads):
        raise ReviewError(
            f"Only the facilitator (<@{review.facilitator_id}>) or a lead can {doing}."
        )


def current_question(review: Review, template: Template) -> Question:
    """The question the thread is on now."""
    index = min(max(review.question_index, 0), len(template.questions) - 1)
    return template.questions[index]


def kind_of(template: Template) -> str:
    """The review's kind: miss, success, incident, or custom for a team's own template."""
    return BUILTIN_KINDS.get(template.key, "custom")


def start(
    *,
    session: Session,
    template: Template,
    team_id: str,
    title: str,
    channel_id: str,
    facilitator_id: str,
    participant_ids: Sequence[str],
    what_happened: str = "",
    confidential: bool = False,
    collect_perspectives: bool = False,
    attributed_perspectives: bool = False,
    source_permalink: str | None = None,
) -> Review:
    """Create a review from the start modal; "what happened" is kept as the first answer to it."""
    review = store.create_review(
        session=session,
        team_id=team_id,
        template=template.key,
        kind=kind_of(template),
        title=title.strip()[:TITLE_LIMIT],
        channel_id=channel_id,
        facilitator_id=facilitator_id,
        participant_ids=participant_ids,
        confidential=confidential,
        collect_perspectives=collect_perspectives,
        attributed_perspectives=attributed_perspectives,
        source_permalink=source_permalink,
    )
    target = what_happened_question(template)
    if what_happened.strip() and target is not None:
        store.add_answer(
            session=session,
            review_id=review.id,
            question_key=target.key,
            author_id=facilitator_id,
            text=what_happened.strip(),
            source=AnswerSource.MODAL,
        )
    return review


def what_happened_question(template: Template) -> Question | None:
    """Where the start modal's "what happened" goes: `actual`, else the first text question."""
    return template.question("actual") or next(
        (q for q in template.questions if q.kind == QuestionKind.TEXT), None
    )


def public_answers(answers: Sequence[Answer], key: str | None) -> list[Answer]:
    """The answers to question `key` given in the thread or a modal, not in private."""
    return [a for a in answers if a.question_key == key and a.source != AnswerSource.PRIVATE]


def begin(review: Review) -> None:
    """Leave setup: private perspectives first if chosen, else straight to the discussion."""
    if review.stage == Stage.SETUP:
        review.stage = Stage.PERSPECTIVES if review.collect_perspectives else Stage.DISCUSSION
        store.touch(review)


def mark_posted(review: Review, *, message_ts: str, permalink: str | None) -> None:
    """The review message is in the channel: its thread is the review's home from now on."""
    begin(review)
    review.message_ts = message_ts
    review.thread_ts = message_ts
    review.permalink = permalink
    review.draft_response_url = None


def record_reply(
    *,
    session: Session,
    review: Review,
    template: Template,
    author_id: str,
    text: str,
    message_ts: str,
) -> Recorded | None:
    """Store a thread reply as an answer to the current question; None if not recordable."""
    if review.stage not in RECORDING_STAGES or not text.strip():
        return None
    question = current_question(review, template)
    answer = store.add_answer(
        session=session,
        review_id=review.id,
        question_key=question.key,
        author_id=author_id,
        text=text,
        source=AnswerSource.THREAD,
        message_ts=message_ts,
    )
    return None if answer is None else _recorded(session, review, answer, question)


def record_modal_answer(
    *,
    session: Session,
    review: Review,
    template: Template,
    question_key: str,
    author_id: str,
    text: str,
) -> Recorded:
    """Store an answer typed in the Answer modal for the question whose button was pressed."""
    if review.stage in (Stage.CLOSED, Stage.SHARED):
        raise ReviewError("This review is closed. Ask the facilitator to reopen it first.")
    if review.stage not in RECORDING_STAGES:
        raise ReviewError("This review has not started yet: answer once it is in the channel.")
    question = template.question(question_key) or current_question(review, template)
    answer = Answer(
        review_id=review.id,
        question_key=question.key,
        author_id=author_id,
        text=text.strip(),
        source=AnswerSource.MODAL,
    )
    # Added directly: a modal answer has no Slack ts, so it is never a retried duplicate.
    session.add(answer)
    session.flush()
    return _recorded(session, review, answer, question)


def _recorded(session: Session, review: Review, answer: Answer, question: Question) -> Recorded:
    blame = find_blame(answer.text)
    answer.blame_flagged = blame is not None
    store.add_participant(session=session, review_id=review.id, user_id=answer.author_id)
    store.touch(review)
    return Recorded(answer=answer, question=question, blame=blame)


def edit_reply(
    *, session: Session, review: Review, message_ts: str, text: str
) -> tuple[Answer, BlameFinding | None] | None:
    """Apply an edited thread reply to its stored answer; None if it was never an answer.

    A closed review's answers stay as its summary showed them, until it is reopened.
    """
    if review.stage not in RECORDING_STAGES:
        return None
    answer = store.answer_for_message(session=session, review_id=review.id, message_ts=message_ts)
    if answer is None or not text.strip():
        return None
    blame = find_blame(text)
    answer.text = text
    answer.blame_flagged = blame is not None
    answer.updated_at = utcnow()
    store.touch(review)
    return answer, blame


def delete_reply(*, session: Session, review: Review, message_ts: str) -> bool:
    """Forget the answer whose thread reply was deleted, whatever the stage: whoever wrote it
    chose to take it back, and search and exports must not keep it."""
    removed = store.delete_answer_for_message(
        session=session, review_id=review.id, message_ts=message_ts
    )
    if removed:
        store.touch(review)
    return removed


def move(
    *,
    session: Session,
    review: Review,
    template: Template,
    user_id: str,
    leads: Sequence[str],
    step: int,
    shown_index: int | None = None,
) -> Moved:
    """Move to the next (step=1) or previous (step=-1) question.

    `shown_index` is the question the clicked button was shown with: a click on a question
    the review has already moved on from (a double click, a stale message) moves nothing.
    None (a button from before they carried it) counts as the current question.
    """
    require_steer(review, user_id, leads, "move the review on")
    if review.stage not in (Stage.DISCUSSION, Stage.ACTIONS):
        raise ReviewError(_not_in_discussion(review))
    if shown_index is not None and shown_index != review.question_index:
        raise ReviewError(
            "That question has already moved on, so I did not move the review again. "
            "The thread shows where it is now."
        )
    target = review.question_index + step
    if target >= len(template.questions):
        raise ReviewError("That was the last question. Close the review when you are ready.")
    if target < 0:
        raise ReviewError("This is already the first question.")
    closed = current_question(review, template)
    review.question_index = target
    current = current_question(review, template)
    review.stage = _stage_for(current)
    store.touch(review)
    closed_answers = store.answers(session=session, review_id=review.id, question_key=closed.key)
    return Moved(closed=closed, closed_answers=closed_answers, current=current)


def moved_to(*, session: Session, review: Review, template: Template, step: int) -> Moved:
    """What `move` returned, for a move already made (a retry that must show it)."""
    current = current_question(review, template)
    index = min(max(review.question_index - step, 0), len(template.questions) - 1)
    closed = template.questions[index]
    closed_answers = store.answers(session=session, review_id=review.id, question_key=closed.key)
    return Moved(closed=closed, closed_answers=closed_answers, current=current)


def _stage_for(question: Question) -> Stage:
    return Stage.ACTIONS if question.kind == QuestionKind.ACTIONS else Stage.DISCUSSION


def _not_in_discussion(review: Review) -> str:
    if review.stage == Stage.PERSPECTIVES:
        return "Private perspectives are still being collected. Start the discussion first."
    if review.stage in (Stage.CLOSED, Stage.SHARED):
        return "This review is closed. Reopen it to change it."
    return "This review has not started yet."


def set_gap_type(
    *, review: Review, user_id: str, leads: Sequence[str], gap_type: str, allowed: Sequence[str]
) -> bool:
    """Classify the root cause's gap (skill, process, context, resources); False when it
    already was that (the same choice made again changes nothing)."""
    require_steer(review, user_id, leads, "set the gap type")
    if gap_type not in allowed:
        raise ReviewError(f"Unknown gap type {gap_type!r}.")
    if review.gap_type == gap_type:
        return False
    review.gap_type = gap_type
    store.touch(review)
    return True


def missing_for_close(
    review: Review, template: Template, answers: Sequence[Answer], actions: Sequence[Action]
) -> list[str]:
    """What still stops this review from closing, in words the facilitator can act on."""
    missing: list[str] = []
    answered = {a.question_key for a in answers}
    cause = template.root_cause_question()
    if cause is not None:
        if cause.key not in answered:
            missing.append(f"an answer to “{cause.prompt}” (the root cause)")
        if not review.gap_type:
            missing.append("the gap type: skill, process, context or resources")
    has_actions = any(q.kind == QuestionKind.ACTIONS for q in template.questions)
    owned = [a for a in actions if a.owner_id and a.review_date]
    if has_actions and review.kind == "success":
        # The message promises a practice to keep: a fix alone does not keep what worked.
        if not [a for a in owned if a.kind == "practice"]:
            missing.append("at least one practice to keep, with an owner and a review date")
    elif has_actions and not owned:
        missing.append("at least one corrective action with an owner and a review date")
    return missing


def close(
    *,
    session: Session,
    review: Review,
    template: Template,
    user_id: str,
    leads: Sequence[str],
) -> None:
    """Close the review once it has what a closed review needs."""
    require_steer(review, user_id, leads, "close this review")
    if review.stage in (Stage.CLOSED, Stage.SHARED):
        raise ReviewError("This review is already closed.")
    if review.stage in (Stage.SETUP, Stage.PERSPECTIVES):
        raise ReviewError(_not_in_discussion(review))
    missing = missing_for_close(
        review,
        template,
        store.answers(session=session, review_id=review.id),
        store.actions(session=session, review_id=review.id),
    )
    if missing:
        raise ReviewError("Before closing, this review still needs " + _and(missing) + ".")
    review.stage = Stage.CLOSED
    review.closed_at = utcnow()
    store.touch(review)


def reopen(*, review: Review, template: Template, user_id: str, leads: Sequence[str]) -> None:
    """Reopen a closed review where it left off."""
    require_steer(review, user_id, leads, "reopen this review")
    if review.stage not in (Stage.CLOSED, Stage.SHARED):
        raise ReviewError("This review is still open.")
    review.stage = _stage_for(current_question(review, template))
    review.closed_at = None
    store.touch(review)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
