"""Buttons and selects on the review message, its questions and the perspective DM."""

from __future__ import annotations

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot import posting
from bot.blocks import review as render
from bot.blocks.modals import action_modal, answer_modal, metadata, perspective_modal
from bot.deps import Deps
from bot.listeners.session import with_session
from flows import perspectives, summary
from flows import review as rules
from flows.templates import GapType
from storage import reviews as store
from storage.models import Review, Stage


def _review(session: Session, action: dict) -> Review | None:
    review_id = action.get("value") or action.get("block_id", "").removeprefix("q:")
    return store.get_review(session=session, review_id=int(review_id.split(":")[0]))


def _refuse(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


@with_session
def open_answer(
    ack: Ack, action: dict, body: dict, client: WebClient, session: Session, deps: Deps
) -> None:
    """Answer button: a modal for a longer answer to that question."""
    ack()
    review_id, _, key = action["value"].partition(":")
    review = store.get_review(session=session, review_id=int(review_id))
    if review is None:
        return
    question = deps.template(review.template).question(key)
    if question is None:
        return
    view = answer_modal(
        question=question, review_title=review.title, meta=metadata(review=review.id, question=key)
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _move(step: int):
    @with_session
    def move(
        ack: Ack,
        action: dict,
        body: dict,
        client: WebClient,
        respond: Respond,
        session: Session,
        deps: Deps,
    ) -> None:
        ack()
        review = _review(session, action)
        if review is None:
            return
        try:
            moved = rules.move(
                session=session,
                review=store.get_review(session=session, review_id=review.id, for_update=True),
                template=deps.template(review.template),
                user_id=body["user"]["id"],
                leads=deps.settings.leads,
                step=step,
            )
        except rules.ReviewError as refusal:
            _refuse(respond, str(refusal))
            return
        if step > 0:
            actions = store.actions(session=session, review_id=review.id)
            recap = render.digest_message(moved.closed, moved.closed_answers, actions)
            posting.post_to_thread(client, review, *recap)
        posting.post_question(client, deps, review)
        posting.refresh(client, session, deps, review)

    move.__name__ = move.__qualname__ = "next_question" if step > 0 else "previous_question"
    return move


next_question = _move(1)
previous_question = _move(-1)


@with_session
def choose_gap(
    ack: Ack,
    action: dict,
    body: dict,
    client: WebClient,
    respond: Respond,
    session: Session,
    deps: Deps,
) -> None:
    """Gap type select on the root-cause question."""
    ack()
    review = _review(session, action)
    if review is None:
        return
    gap = (action.get("selected_option") or {}).get("value", "")
    user_id = body["user"]["id"]
    try:
        rules.set_gap_type(
            review=review,
            user_id=user_id,
            leads=deps.settings.leads,
            gap_type=gap,
            allowed=[g.value for g in GapType],
        )
    except rules.ReviewError as refusal:
        _refuse(respond, str(refusal))
        return
    label = render.GAP_LABELS[GapType(gap)]
    posting.post_to_thread(
        client,
        review,
        f"Gap type: {label}",
        render.note(f"<@{user_id}> set the gap type: *{label}*"),
    )
    posting.refresh(client, session, deps, review)


@with_session
def open_add_action(
    ack: Ack,
    action: dict,
    body: dict,
    client: WebClient,
    respond: Respond,
    session: Session,
) -> None:
    """Add action button: the action modal."""
    ack()
    review = _review(session, action)
    if review is None:
        return
    if review.stage in (Stage.CLOSED, Stage.SHARED):
        _refuse(respond, "This review is closed. Reopen it to add actions.")
        return
    kinds = ["fix", "experiment", "checklist"]
    if review.kind == "success":
        kinds.insert(0, "practice")
    view = action_modal(meta=metadata(review=review.id), kinds=kinds)
    client.views_open(trigger_id=body["trigger_id"], view=view)


@with_session
def close_review(
    ack: Ack,
    action: dict,
    body: dict,
    client: WebClient,
    respond: Respond,
    session: Session,
    deps: Deps,
) -> None:
    """Close: check what is missing, then post the summary in the thread."""
    ack()
    review = _review(session, action)
    if review is None:
        return
    template = deps.template(review.template)
    try:
        rules.close(
            session=session,
            review=review,
            template=template,
            user_id=body["user"]["id"],
            leads=deps.settings.leads,
        )
    except rules.ReviewError as refusal:
        _refuse(respond, str(refusal))
        return
    built = summary.build(session=session, review=review, template=template)
    posting.post_to_thread(client, review, *render.summary_message(built))
    posting.refresh(client, session, deps, review)


@with_session
def reopen_review(
    ack: Ack,
    action: dict,
    body: dict,
    client: WebClient,
    respond: Respond,
    session: Session,
    deps: Deps,
) -> None:
    """Reopen a closed review where it left off."""
    ack()
    review = _review(session, action)
    if review is None:
        return
    user_id = body["user"]["id"]
    try:
        rules.reopen(
            review=review,
            template=deps.template(review.template),
            user_id=user_id,
            leads=deps.settings.leads,
        )
    except rules.ReviewError as refusal:
        _refuse(respond, str(refusal))
        return
    posting.post_to_thread(
        client, review, "Review reopened", render.note(f"<@{user_id}> reopened the review.")
    )
    posting.refresh(client, session, deps, review)


@with_session
def start_discussion(
    ack: Ack,
    action: dict,
    body: dict,
    client: WebClient,
    respond: Respond,
    session: Session,
    deps: Deps,
) -> None:
    """End the private round: post the digest, then the first question."""
    ack()
    review = _review(session, action)
    if review is None:
        return
    try:
        digest = perspectives.start_discussion(
            session=session,
            review=review,
            template=deps.template(review.template),
            user_id=body["user"]["id"],
            leads=deps.settings.leads,
        )
    except rules.ReviewError as refusal:
        _refuse(respond, str(refusal))
        return
    posting.post_to_thread(
        client,
        review,
        *render.perspectives_digest(digest, attributed=review.attributed_perspectives),
    )
    posting.post_question(client, deps, review)
    posting.refresh(client, session, deps, review)


@with_session
def open_perspective(
    ack: Ack,
    action: dict,
    body: dict,
    client: WebClient,
    respond: Respond,
    session: Session,
    deps: Deps,
) -> None:
    """Give my perspective: the private modal of diagnostic questions."""
    ack()
    review = _review(session, action)
    if review is None:
        return
    if review.stage != Stage.PERSPECTIVES:
        _refuse(respond, "The discussion has started: answer in the review's thread now.")
        return
    view = perspective_modal(
        review_title=review.title,
        questions=perspectives.questions(deps.template(review.template)),
        meta=metadata(review=review.id),
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)
