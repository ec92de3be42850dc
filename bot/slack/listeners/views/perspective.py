"""The private perspective modal's submission."""

from __future__ import annotations

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import posting
from bot.runtime.deps import Deps
from bot.slack.listeners.session import Later, submission
from bot.slack.listeners.views import values
from flows import perspectives
from flows.review import ReviewError
from storage import reviews as store


@submission
def submit_perspective(
    ack: Ack,
    body: dict,
    view: dict,
    session: Session,
    deps: Deps,
    later: Later,
) -> None:
    """Store one person's private answers and update the count on the review message."""
    review = store.get_review(session=session, review_id=int(values.meta(view)["review"]))
    template = deps.template(review.template) if review else None
    questions = perspectives.questions(template) if template else []
    # An error goes on the first question's field (Slack shows errors only on inputs).
    first = f"q_{questions[0].key}" if questions else values.first_input(view)
    if review is None or template is None:
        if first:
            ack(response_action="errors", errors={first: "That review no longer exists."})
        else:
            ack()
        return
    texts = {q.key: values.text(view, f"q_{q.key}") for q in questions}
    try:
        count = perspectives.record(
            session=session,
            review=review,
            template=template,
            user_id=body["user"]["id"],
            texts=texts,
        )
    except ReviewError as refusal:
        ack(response_action="errors", errors={first: str(refusal)})
        return
    ack()  # Slack gets it once the answers are committed; the posts below come after
    later(thank, review_id=review.id, user_id=body["user"]["id"], count=count)


def thank(
    *, session: Session, client: WebClient, deps: Deps, review_id: int, user_id: str, count: int
) -> None:
    """After the ack: thank the person in a DM, and update the count on the review message."""
    client.chat_postMessage(
        channel=user_id,
        text=f"Thanks, your {count} answer(s) are saved privately. The group sees them "
        "when the discussion starts.",
    )
    review = store.get_review(session=session, review_id=review_id)
    if review is not None:
        posting.refresh(client, session, deps, review)
