"""The Add action modal's submission, with each rule answered on its own field."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot import people, posting, sharing
from bot.blocks.review import action_added
from bot.deps import Deps
from bot.ids import Block
from bot.listeners.session import with_session
from bot.listeners.views import values
from flows import actions
from storage import reviews as store

FIELDS = {
    "what": Block.WHAT,
    "owner": Block.OWNER,
    "review_date": Block.REVIEW_DATE,
    "criterion": Block.CRITERION,
    "kind": Block.KIND,
}


@with_session
def submit_action(
    ack: Ack,
    body: dict,
    view: dict,
    client: WebClient,
    context: BoltContext,
    session: Session,
    deps: Deps,
) -> None:
    """Check the action (owner via users.info), store it, and show it in the thread."""
    review = store.get_review(session=session, review_id=int(values.meta(view)["review"]))
    if review is None:
        ack(response_action="errors", errors={Block.WHAT: "That review no longer exists."})
        return
    draft = actions.ActionDraft(
        what=values.text(view, Block.WHAT),
        owner_id=values.user(view, Block.OWNER),
        review_date=values.day(view, Block.REVIEW_DATE),
        success_criterion=values.text(view, Block.CRITERION),
        kind=values.selected(view, Block.KIND) or "",
    )
    owner = None
    if draft.owner_id:
        owner = people.lookup(
            client=client,
            session=session,
            deps=deps,
            team_id=context.team_id or review.team_id,
            user_id=draft.owner_id,
        )
    problems = actions.validate(draft, owner, now=deps.clock())
    if draft.owner_id and owner is None:
        problems["owner"] = "Slack does not know that person. Pick someone else."
    if problems or owner is None:
        ack(response_action="errors", errors={FIELDS[k]: v for k, v in problems.items()})
        return
    ack()
    action, specificity = actions.add(
        session=session,
        review=review,
        draft=draft,
        owner=owner,
        created_by=body["user"]["id"],
        policy=deps.settings.nudge_policy(),
        now=deps.clock(),
        fallback_tz=deps.settings.default_tz,
    )
    session.commit()  # the action is kept even if the Slack calls below fail
    posting.post_to_thread(client, review, *action_added(action, specificity))
    posting.refresh(client, session, deps, review)
    sharing.refresh_cards(client, session, deps, review)
