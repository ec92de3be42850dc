"""The Done / Reschedule / Drop modals' submissions: check, record, then update the DM,
the review message, and (for an unmet outcome) the review's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish import cards as sharing
from bot.publish import posting
from bot.publish.home import hidden_from, refresh_homes
from bot.runtime.deps import Deps
from bot.slack import people
from bot.slack.blocks.followup import outcome_in_thread
from bot.slack.ids import Block
from bot.slack.listeners.session import Later, submission
from bot.slack.listeners.views import values
from flows import followup
from flows.actions import Owner
from flows.review import ReviewError
from storage import reviews as store
from storage.models import Action, Review

OUTCOME_FIELDS = {
    "outcome": Block.OUTCOME,
    "criterion_met": Block.CRITERION_MET,
    "notes": Block.NOTES,
}


def _load(
    ack: Ack, session: Session, meta: dict[str, Any], field: str
) -> tuple[Action, Review] | None:
    """The modal's action and its review, locked for the change; else the modal is told."""
    try:
        action_id = int(meta.get("action", ""))
    except (TypeError, ValueError):
        action_id = 0
    action = store.get_action(session=session, action_id=action_id, for_update=True)
    review = action and store.get_review(session=session, review_id=action.review_id)
    if action is None or review is None:
        ack(response_action="errors", errors={field: "That action no longer exists."})
        return None
    return action, review


def show_outcome(
    *,
    session: Session,
    client: WebClient,
    deps: Deps,
    action_id: int,
    channel: str | None,
    ts: str | None,
    follow_up: bool = False,
    viewer: str = "",
) -> None:
    """After the ack: show the action's new state in its DM (`channel`, `ts`), on the review
    message and on its owner's Home; an unmet outcome also goes to the review's thread."""
    action = store.get_action(session=session, action_id=action_id)
    review = action and store.get_review(session=session, review_id=action.review_id)
    if action is None or review is None:
        return
    if follow_up:
        posting.post_to_thread(client, review, *outcome_in_thread(action))
    # The DM is the submitter's own (only they could click its button); a job queued
    # without `viewer` (before it was passed) is taken to be on the owner's nudge DM.
    hidden = hidden_from(session, deps, review, viewer or action.owner_id)
    posting.show_action_state(client, channel, ts, action, review, hidden=hidden)
    posting.refresh(client, session, deps, review)
    refresh_homes(client, session, deps, team_id=review.team_id, user_ids=[action.owner_id])
    sharing.refresh_cards(client, session, deps, review)


def _after(
    later: Later, meta: dict[str, Any], action_id: int, viewer: str, *, follow_up: bool = False
):
    later(
        show_outcome,
        action_id=action_id,
        channel=meta.get("channel"),
        ts=meta.get("ts"),
        follow_up=follow_up,
        viewer=viewer,
    )


@submission
def submit_outcome(
    ack: Ack,
    body: dict,
    view: dict,
    session: Session,
    deps: Deps,
    later: Later,
) -> None:
    """Done: store the outcome; an unmet criterion goes back to the review's thread."""
    meta = values.meta(view)
    loaded = _load(ack, session, meta, Block.OUTCOME)
    if loaded is None:
        return
    action, review = loaded
    outcome = followup.Outcome(
        what_happened=values.text(view, Block.OUTCOME),
        criterion_met=values.selected(view, Block.CRITERION_MET) or "",
        notes=values.text(view, Block.NOTES),
    )
    problems = followup.check_outcome(outcome)
    if problems:
        errors = {OUTCOME_FIELDS[k]: v for k, v in problems.items()}
        ack(response_action="errors", errors=errors)
        return
    try:
        followup.complete(
            session=session,
            action=action,
            review=review,
            user_id=body["user"]["id"],
            outcome=outcome,
            now=deps.clock(),
        )
    except ReviewError as refusal:
        ack(response_action="errors", errors={Block.OUTCOME: str(refusal)})
        return
    ack()  # Slack gets it once the outcome is committed; the posts come after
    _after(later, meta, action.id, body["user"]["id"], follow_up=outcome.needs_follow_up)


@submission
def submit_reschedule(
    ack: Ack,
    body: dict,
    view: dict,
    context: BoltContext,
    session: Session,
    deps: Deps,
    later: Later,
) -> None:
    """Reschedule: the new date, checked in the owner's zone; the nudges are re-planned."""
    meta = values.meta(view)
    loaded = _load(ack, session, meta, Block.REVIEW_DATE)
    if loaded is None:
        return
    action, review = loaded
    # Checked before the ack, so from the database only: what users.info last said (the
    # daily zone refresh keeps owners current), else the zone stored with the action.
    owner = people.known(
        session=session,
        deps=deps,
        team_id=context.team_id or review.team_id,
        user_id=action.owner_id,
    ) or Owner(user_id=action.owner_id, is_bot=False, deleted=False, tz=action.owner_tz)
    new_date = values.day(view, Block.REVIEW_DATE)
    now = deps.clock()
    problem = followup.check_new_date(new_date, owner, now, fallback_tz=deps.settings.default_tz)
    if problem or new_date is None:
        ack(response_action="errors", errors={Block.REVIEW_DATE: problem or "Pick a date."})
        return
    try:
        followup.reschedule(
            session=session,
            action=action,
            review=review,
            user_id=body["user"]["id"],
            new_date=new_date,
            owner=owner,
            policy=deps.settings.nudge_policy(),
            now=now,
            fallback_tz=deps.settings.default_tz,
        )
    except ReviewError as refusal:
        ack(response_action="errors", errors={Block.REVIEW_DATE: str(refusal)})
        return
    ack()  # Slack gets it once the change is committed; the posts come after
    _after(later, meta, action.id, body["user"]["id"])


@submission
def submit_drop(
    ack: Ack,
    body: dict,
    view: dict,
    session: Session,
    deps: Deps,
    later: Later,
) -> None:
    """Drop: a reason is required; nothing more is sent about the action."""
    meta = values.meta(view)
    loaded = _load(ack, session, meta, Block.REASON)
    if loaded is None:
        return
    action, review = loaded
    reason = values.text(view, Block.REASON)
    if not reason.strip():
        ack(response_action="errors", errors={Block.REASON: "Give a reason for dropping it."})
        return
    try:
        followup.drop(
            session=session,
            action=action,
            review=review,
            user_id=body["user"]["id"],
            reason=reason,
            now=deps.clock(),
        )
    except ReviewError as refusal:
        ack(response_action="errors", errors={Block.REASON: str(refusal)})
        return
    ack()  # Slack gets it once the change is committed; the posts come after
    _after(later, meta, action.id, body["user"]["id"])
