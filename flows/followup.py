"""Follow-through on actions: plan their nudges, and Done / Reschedule / Drop with outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from flows.actions import Owner, plan_nudges, review_date_problem
from flows.nudges import NudgePolicy, PlannedNudge
from flows.review import ReviewError
from storage import nudges as nudge_store
from storage.models import Action, ActionStatus, Review

OUTCOMES = {"yes": "Criterion met", "partly": "Partly met", "no": "Not met"}
REASON_LIMIT = 500
NOTES_LIMIT = 3000


@dataclass(frozen=True)
class Outcome:
    """What the owner reports when marking an action done."""

    what_happened: str
    criterion_met: str
    notes: str = ""

    @property
    def needs_follow_up(self) -> bool:
        """A partly or not met criterion goes back to the review for a follow-up."""
        return self.criterion_met in {"partly", "no"}


def require_actor(action: Action, review: Review, user_id: str) -> None:
    """Only the action's owner or the review's facilitator may change it."""
    if user_id not in {action.owner_id, review.facilitator_id}:
        raise ReviewError(
            f"Only the owner (<@{action.owner_id}>) or the facilitator "
            f"(<@{review.facilitator_id}>) can change this action."
        )


def require_open(action: Action) -> None:
    """A done or dropped action's buttons are stale."""
    if action.status != ActionStatus.OPEN:
        raise ReviewError(f"This action is already {action.status}.")


def check_outcome(outcome: Outcome) -> dict[str, str]:
    """Problems by field ("outcome", "criterion_met", "notes"); empty if fine."""
    errors: dict[str, str] = {}
    if not outcome.what_happened.strip():
        errors["outcome"] = "Say what happened when you tried it."
    elif len(outcome.what_happened) > NOTES_LIMIT:
        errors["outcome"] = f"Keep it under {NOTES_LIMIT} characters."
    if outcome.criterion_met not in OUTCOMES:
        errors["criterion_met"] = "Say whether the success criterion was met."
    if len(outcome.notes) > NOTES_LIMIT:
        errors["notes"] = f"Keep it under {NOTES_LIMIT} characters."
    return errors


def complete(
    *,
    session: Session,
    action: Action,
    review: Review,
    user_id: str,
    outcome: Outcome,
    now: datetime,
) -> None:
    """Mark the action done with its outcome; its remaining nudges are cancelled."""
    require_actor(action, review, user_id)
    require_open(action)
    action.status = ActionStatus.DONE
    action.outcome = outcome.criterion_met
    action.outcome_summary = outcome.what_happened.strip()
    action.outcome_notes = outcome.notes.strip() or None
    action.completed_at = action.updated_at = now
    nudge_store.cancel_pending(session=session, action_id=action.id)


def check_new_date(
    new_date: date | None, owner: Owner, now: datetime, *, fallback_tz: str = "UTC"
) -> str | None:
    """The reschedule rule, the one at creation: today to a year ahead, in the owner's zone."""
    if new_date is None:
        return "Pick the new review date."
    return review_date_problem(new_date, owner, now=now, fallback_tz=fallback_tz)


def reschedule(
    *,
    session: Session,
    action: Action,
    review: Review,
    user_id: str,
    new_date: date,
    owner: Owner,
    policy: NudgePolicy,
    now: datetime,
    fallback_tz: str,
) -> list[PlannedNudge]:
    """Move the review date and re-plan the nudges from it."""
    require_actor(action, review, user_id)
    require_open(action)
    problem = check_new_date(new_date, owner, now, fallback_tz=fallback_tz)
    if problem:
        raise ReviewError(problem)
    action.review_date = new_date
    action.owner_tz = owner.tz
    action.updated_at = now
    return plan_nudges(
        session=session, action=action, policy=policy, now=now, fallback_tz=fallback_tz
    )


def drop(
    *, session: Session, action: Action, review: Review, user_id: str, reason: str, now: datetime
) -> None:
    """Drop the action with a reason; nothing more is sent about it."""
    require_actor(action, review, user_id)
    require_open(action)
    if not reason.strip():
        raise ReviewError("Give a reason for dropping it.")
    action.status = ActionStatus.DROPPED
    action.drop_reason = reason.strip()[:REASON_LIMIT]
    action.completed_at = action.updated_at = now
    nudge_store.cancel_pending(session=session, action_id=action.id)
