"""Buttons and selects on the review message, its questions and the perspective DM."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.runner import JOB_KEY, JobMark
from bot.publish import posting, repeats
from bot.publish.home import refresh_review_homes
from bot.runtime.deps import Deps
from bot.slack.blocks import review as render
from bot.slack.blocks.lessons import share_modal
from bot.slack.blocks.modals import action_modal, answer_modal, metadata, perspective_modal
from bot.slack.ids import FOLLOW_UP
from bot.slack.listeners.session import after_ack, opens_modal
from flows import lessons, perspectives, summary
from flows import review as rules
from flows.templates import GapType, QuestionKind, Template
from storage import reviews as store
from storage.models import Review, Stage


@dataclass(frozen=True)
class Click:
    """One click on a review's control, with everything a handler needs."""

    review: Review
    user_id: str
    action: dict
    trigger_id: str | None
    client: WebClient
    session: Session
    deps: Deps
    job: JobMark | None = None

    @property
    def applied(self) -> bool:
        """Whether an earlier run of this click's job already made its change (it then died
        before all its posts were made; those it made are not made again)."""
        return self.job is not None and self.job.applied

    @property
    def template(self) -> Template:
        """The review's template."""
        return self.deps.template(self.review.template)

    @property
    def leads(self) -> tuple[str, ...]:
        """The configured leads."""
        return self.deps.settings.leads

    def refresh(self) -> None:
        """Update the review message."""
        posting.refresh(self.client, self.session, self.deps, self.review)

    def saved(self) -> None:
        """Commit the change the rules made, before telling Slack: a failed post cannot undo it,
        and no lock is held while Slack answers. The job notes in the same commit that its
        change is made, so a retry does not make it twice."""
        if self.job is not None:
            self.job.mark_applied(self.session)
        self.session.commit()


def _review_id(action: dict) -> int:
    # Buttons carry "<review id>[:<question key>]"; a select carries it in its block_id.
    raw = action.get("value") or action.get("block_id", "").removeprefix("q:")
    return int(raw.split(":")[0])


def on_review(
    handler: Callable[[Click], None] | None = None, *, changes: bool = True
) -> Callable[..., Any]:
    """Ack, then (after the ack) load the review and run the handler; a refusal becomes an
    ephemeral to the clicker. A handler that `changes` the review holds its row (its
    transaction, on SQLite) until it calls `click.saved()`; one that only opens a modal does not."""
    if handler is None:
        return functools.partial(on_review, changes=changes)

    def listener(
        action: dict,
        body: dict,
        client: WebClient,
        respond: Respond,
        context: BoltContext,
        session: Session,
        deps: Deps,
    ) -> None:
        review = store.get_review(session=session, review_id=_review_id(action), for_update=changes)
        # A review of another workspace is as good as gone (defence in depth: Slack only sends
        # the ids our own messages in this workspace carry).
        if review is None or (context.team_id and review.team_id != context.team_id):
            respond(text="That review no longer exists.", response_type="ephemeral")
            return
        click = Click(
            review=review,
            user_id=body["user"]["id"],
            action=action,
            trigger_id=body.get("trigger_id"),
            client=client,
            session=session,
            deps=deps,
            job=context.get(JOB_KEY),
        )
        if click.applied and handler not in RETRY_SHOWS:
            click.refresh()  # the change is made; the review message shows it
            return
        try:
            handler(click)
        except rules.ReviewError as refusal:
            respond(text=str(refusal), response_type="ephemeral", replace_original=False)

    listener.__name__ = listener.__qualname__ = handler.__name__
    listener.__doc__ = handler.__doc__
    # One that only opens a modal runs straight after the ack; one that changes the review is
    # kept as a job before the ack, so the click is never lost.
    return after_ack(listener) if changes else opens_modal(listener)


@on_review(changes=False)
def open_answer(click: Click) -> None:
    """Answer button: a modal for a longer answer to that question."""
    key = click.action["value"].partition(":")[2]
    question = click.template.question(key)
    if question is None:
        raise rules.ReviewError("That question is no longer part of this review.")
    view = answer_modal(
        question=question,
        review_title=click.review.title,
        meta=metadata(review=click.review.id, question=key),
    )
    click.client.views_open(trigger_id=click.trigger_id, view=view)


def _shown_index(action: dict) -> int | None:
    """The question index a Next or Back button was shown with ("<review id>:<index>"); None
    for a button posted before they carried one."""
    shown = (action.get("value") or "").partition(":")[2]
    return int(shown) if shown.isdigit() else None


def _move(click: Click, step: int) -> None:
    if click.applied:  # the move is made: show it (posts already made are not made again)
        moved = rules.moved_to(
            session=click.session, review=click.review, template=click.template, step=step
        )
    else:
        moved = rules.move(
            session=click.session,
            review=click.review,
            template=click.template,
            user_id=click.user_id,
            leads=click.leads,
            step=step,
            shown_index=_shown_index(click.action),
        )
        click.saved()
    if step > 0:
        actions = (
            store.actions(session=click.session, review_id=click.review.id)
            if moved.closed.kind == QuestionKind.ACTIONS
            else ()
        )
        recap = render.digest_message(moved.closed, moved.closed_answers, actions)
        posting.post_to_thread(click.client, click.review, *recap)
    posting.post_question(click.client, click.deps, click.review)
    click.refresh()


def _next(click: Click) -> None:
    _move(click, 1)


def _back(click: Click) -> None:
    _move(click, -1)


# Handlers whose retry, after their change was made, still posts what it had to show.
RETRY_SHOWS = frozenset({_next, _back})
next_question = on_review(_next)
next_question.__doc__ = "Next question: recap the one closing, post the next."
previous_question = on_review(_back)
previous_question.__doc__ = "Back: post the previous question again."


@on_review
def choose_gap(click: Click) -> None:
    """Gap type select on the root-cause question."""
    gap = (click.action.get("selected_option") or {}).get("value", "")
    changed = rules.set_gap_type(
        review=click.review,
        user_id=click.user_id,
        leads=click.leads,
        gap_type=gap,
        allowed=[g.value for g in GapType],
    )
    if not changed:
        return  # chosen again (a double pick): nothing changed, so nothing to say
    click.saved()
    label = render.GAP_LABELS[GapType(gap)]
    said = render.note(f"<@{click.user_id}> set the gap type: *{label}*")
    posting.post_to_thread(click.client, click.review, f"Gap type: {label}", said)
    click.refresh()


@on_review(changes=False)
def open_add_action(click: Click) -> None:
    """Add action button: the action modal (a follow-up may go on a closed review)."""
    if click.action.get("value", "").endswith(f":{FOLLOW_UP}"):
        rules.require_steer(click.review, click.user_id, click.leads, "add a follow-up action")
    elif click.review.stage in (Stage.CLOSED, Stage.SHARED):
        raise rules.ReviewError("This review is closed. Reopen it to add actions.")
    kinds = ["fix", "experiment", "checklist"]
    if click.review.kind == "success":
        kinds.insert(0, "practice")
    view = action_modal(meta=metadata(review=click.review.id), kinds=kinds)
    click.client.views_open(trigger_id=click.trigger_id, view=view)


@on_review
def close_review(click: Click) -> None:
    """Close: check what is missing, then post the summary in the thread."""
    rules.close(
        session=click.session,
        review=click.review,
        template=click.template,
        user_id=click.user_id,
        leads=click.leads,
    )
    click.saved()
    built = summary.build(session=click.session, review=click.review, template=click.template)
    posting.post_to_thread(click.client, click.review, *render.summary_message(built))
    click.refresh()
    refresh_review_homes(click.client, click.session, click.deps, click.review)


@on_review
def reopen_review(click: Click) -> None:
    """Reopen a closed review where it left off."""
    rules.reopen(
        review=click.review, template=click.template, user_id=click.user_id, leads=click.leads
    )
    click.saved()
    said = render.note(f"<@{click.user_id}> reopened the review.")
    posting.post_to_thread(click.client, click.review, "Review reopened", said)
    click.refresh()
    refresh_review_homes(click.client, click.session, click.deps, click.review)


@on_review
def start_discussion(click: Click) -> None:
    """End the private round: post the digest, then the first question."""
    digest = perspectives.start_discussion(
        session=click.session,
        review=click.review,
        template=click.template,
        user_id=click.user_id,
        leads=click.leads,
    )
    click.saved()
    attributed = click.review.attributed_perspectives
    posting.post_to_thread(
        click.client, click.review, *render.perspectives_digest(digest, attributed=attributed)
    )
    posting.post_question(click.client, click.deps, click.review)
    click.refresh()


@on_review(changes=False)
def open_perspective(click: Click) -> None:
    """Give my perspective: the private modal of diagnostic questions."""
    if click.review.stage != Stage.PERSPECTIVES:
        raise rules.ReviewError("The discussion has started: answer in the review's thread now.")
    view = perspective_modal(
        review_title=click.review.title,
        questions=perspectives.questions(click.template),
        meta=metadata(review=click.review.id),
    )
    click.client.views_open(trigger_id=click.trigger_id, view=view)


@on_review(changes=False)
def open_share(click: Click) -> None:
    """Share lesson: the modal with the lesson to edit and the channels to post the card to."""
    lessons.require_shareable(click.review, click.user_id, click.leads)
    view = share_modal(
        review_title=click.review.title,
        lesson=lessons.draft_lesson(session=click.session, review=click.review),
        default_channel=click.deps.settings.lessons_channel,
        confidential=click.review.confidential,
        meta=metadata(review=click.review.id),
    )
    click.client.views_open(trigger_id=click.trigger_id, view=view)


@on_review
def same_failure(click: Click) -> None:
    """Same failure again: mark this review a repeat of a past one; a long chain escalates."""
    past_id = int(click.action["value"].partition(":")[2])
    repeats.mark_and_escalate(
        click.client,
        click.session,
        click.deps,
        click.review,
        past_id=past_id,
        user_id=click.user_id,
    )
