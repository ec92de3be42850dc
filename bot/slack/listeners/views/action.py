"""The Add action modal's submission, with each rule answered on its own field."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import cards as sharing
from bot.publish import posting
from bot.publish.home import refresh_homes
from bot.runtime.deps import Deps
from bot.slack import people
from bot.slack.blocks.review import action_added
from bot.slack.idempotency import first_submission
from bot.slack.ids import Block
from bot.slack.listeners.session import Later, with_session
from bot.slack.listeners.views import values
from flows import actions
from storage import reviews as store

NO_SUCH_PERSON = "Slack does not know this person. Pick someone in this workspace."
NO_ANSWER = "Slack did not answer about this person in time. Submit again in a moment."

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
    later: Later,
) -> None:
    """Check the action, store it, then (after the ack) show it in the thread.

    The owner is checked against what users.info says, cached in the database: picking the
    owner already had them looked up (`actions.owner.look_up_owner`); if that has not landed
    yet, they are looked up now, with a short timeout, before this transaction starts.
    """
    owner_id = values.user(view, Block.OWNER)
    why_not = None
    if owner_id:  # before the transaction starts, so no lock is held while Slack answers
        why_not = people.look_up_now(
            client=client, deps=deps, team_id=context.team_id or "", user_id=owner_id
        )
    if not first_submission(session, body):
        ack()  # the same submission again (a double click): it was applied once already
        return
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
    team_id = context.team_id or review.team_id
    owner = None
    if draft.owner_id:
        owner = people.known(session=session, deps=deps, team_id=team_id, user_id=draft.owner_id)
    problems = actions.validate(
        draft, owner, now=deps.clock(), fallback_tz=deps.settings.default_tz
    )
    if draft.owner_id and owner is None:
        problems["owner"] = NO_ANSWER if why_not == "unanswered" else NO_SUCH_PERSON
    if problems or owner is None:
        ack(response_action="errors", errors={FIELDS[k]: v for k, v in problems.items()})
        return
    ack()  # Slack gets it once the action is committed; the posts below come after
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
    later(
        post_action,
        action_id=action.id,
        hints=list(specificity.hints) if specificity.is_vague else [],
    )


def post_action(
    *, session: Session, client: WebClient, deps: Deps, action_id: int, hints: list[str]
) -> None:
    """After the ack: the action (with `hints` if it is vague) in the thread, on the review
    message, the owner's Home and the review's shared cards."""
    action = store.get_action(session=session, action_id=action_id)
    review = action and store.get_review(session=session, review_id=action.review_id)
    if action is None or review is None:
        return
    posting.post_to_thread(client, review, *action_added(action, hints))
    posting.refresh(client, session, deps, review)
    refresh_homes(client, session, deps, team_id=review.team_id, user_ids=[action.owner_id])
    sharing.refresh_cards(client, session, deps, review)
