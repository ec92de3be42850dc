"""The Answer modal's submission."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import posting, repeats
from bot.runtime.deps import Deps
from bot.slack.blocks.review import coaching_note, modal_answer
from bot.slack.ids import Block
from bot.slack.listeners.session import Later, submission
from bot.slack.listeners.views import values
from flows import review as rules
from storage import reviews as store
from storage.models import Answer


@submission
def submit_answer(
    ack: Ack,
    body: dict,
    view: dict,
    session: Session,
    deps: Deps,
    later: Later,
) -> None:
    """Store a longer answer, post it in the thread, and coach blaming wording."""
    text = values.text(view, Block.ANSWER)
    if not text.strip():
        ack(response_action="errors", errors={Block.ANSWER: "Write an answer, or press Cancel."})
        return
    meta = values.meta(view)
    review = store.get_review(session=session, review_id=int(meta["review"]))
    if review is None:
        ack(response_action="errors", errors={Block.ANSWER: "That review no longer exists."})
        return
    user_id = body["user"]["id"]
    try:
        recorded = rules.record_modal_answer(
            session=session,
            review=review,
            template=deps.template(review.template),
            question_key=meta.get("question", ""),
            author_id=user_id,
            text=text,
        )
    except rules.ReviewError as refusal:
        ack(response_action="errors", errors={Block.ANSWER: str(refusal)})
        return
    ack()  # Slack gets it once the answer is committed; the posts below come after
    later(
        post_answer,
        review_id=review.id,
        answer_id=recorded.answer.id,
        prompt=recorded.question.prompt,
        coaching=coaching_note(recorded.blame) if recorded.blame else None,
    )


def post_answer(
    *,
    session: Session,
    client: WebClient,
    deps: Deps,
    review_id: int,
    answer_id: int,
    prompt: str,
    coaching: str | None,
) -> None:
    """After the ack: the answer in the thread, coaching for its author, the review message
    brought up to date, and similar past reviews offered."""
    review = store.get_review(session=session, review_id=review_id)
    answer = session.get(Answer, answer_id)
    if review is None or answer is None:
        return
    posting.post_to_thread(client, review, *modal_answer(answer, prompt))
    if coaching:
        posting.tell(client, review, answer.author_id, coaching)
    posting.refresh(client, session, deps, review)
    repeats.suggest_similar(client, session, deps, review)
