"""Corrective actions: the rules for a valid one, and recording it with its specificity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from flows.nudges import NudgePolicy, PlannedNudge, local_date, plan
from flows.specificity import Specificity, score_action
from storage import nudges as nudge_store
from storage import reviews as store
from storage.models import Action, ActionStatus, Review

WHAT_LIMIT = 300
CRITERION_LIMIT = 300
HORIZON_DAYS = 365
KINDS = {
    "fix": "Fix",
    "experiment": "Experiment",
    "checklist": "Checklist or template change",
    "practice": "Practice to keep",
}


@dataclass(frozen=True)
class Owner:
    """What Slack says about the person picked as owner."""

    user_id: str
    is_bot: bool
    deleted: bool
    tz: str


@dataclass(frozen=True)
class ActionDraft:
    """An action as typed in the modal, before it is checked."""

    what: str
    owner_id: str | None
    review_date: date | None
    success_criterion: str
    kind: str


def review_date_problem(
    review_date: date, owner: Owner, *, now: datetime, fallback_tz: str
) -> str | None:
    """What is wrong with a review date: it must be today to a year ahead, in the owner's zone."""
    today = local_date(now, owner.tz, fallback_tz)
    if review_date < today:
        return f"That date has passed for the owner (it is {today:%a %-d %b} where they are)."
    if review_date > today + timedelta(days=HORIZON_DAYS):
        return "Pick a date within a year, so the check really happens."
    return None


def validate(
    draft: ActionDraft, owner: Owner | None, *, now: datetime, fallback_tz: str = "UTC"
) -> dict[str, str]:
    """Problems by field ("what", "owner", "review_date", "criterion", "kind"); empty if fine.

    The review date is read in the owner's zone, else in `fallback_tz`, as their nudges are.
    """
    errors: dict[str, str] = {}
    what = draft.what.strip()
    if not what:
        errors["what"] = "Say what will be done, starting with a verb."
    elif len(what) > WHAT_LIMIT:
        errors["what"] = f"Keep it under {WHAT_LIMIT} characters (it is {len(what)})."
    if owner is None:
        errors["owner"] = "Pick the one person who owns this action."
    elif owner.is_bot:
        errors["owner"] = "A bot can't own an action. Pick a person."
    elif owner.deleted:
        errors["owner"] = "That person's account is deactivated. Pick someone active."
    if draft.review_date is None:
        errors["review_date"] = "Pick the date to check whether it worked."
    elif owner is not None:
        problem = review_date_problem(draft.review_date, owner, now=now, fallback_tz=fallback_tz)
        if problem:
            errors["review_date"] = problem
    criterion = draft.success_criterion.strip()
    if not criterion:
        errors["criterion"] = 'How will we know it worked? e.g. "no failed deploys for 30 days".'
    elif len(criterion) > CRITERION_LIMIT:
        errors["criterion"] = (
            f"Keep it under {CRITERION_LIMIT} characters (it is {len(criterion)})."
        )
    if draft.kind not in KINDS:
        errors["kind"] = "Pick what kind of action this is."
    return errors


def plan_nudges(
    *, session: Session, action: Action, policy: NudgePolicy, now: datetime, fallback_tz: str
) -> list[PlannedNudge]:
    """(Re)plan an action's nudges; an action that is not open gets none."""
    if action.status != ActionStatus.OPEN:
        nudge_store.cancel_pending(session=session, action_id=action.id)
        return []
    planned = plan(
        review_date=action.review_date,
        owner_tz=action.owner_tz,
        policy=policy,
        now=now,
        fallback_tz=fallback_tz,
    )
    nudge_store.replace_plan(
        session=session, action_id=action.id, planned=[(p.kind, p.due_at) for p in planned]
    )
    return planned


def add(
    *,
    session: Session,
    review: Review,
    draft: ActionDraft,
    owner: Owner,
    created_by: str,
    policy: NudgePolicy,
    now: datetime,
    fallback_tz: str,
) -> tuple[Action, Specificity]:
    """Record a checked action with its specificity score, and plan its owner's nudges."""
    specificity = score_action(
        what=draft.what,
        success_criterion=draft.success_criterion,
        owner_is_person=not owner.is_bot and not owner.deleted,
        review_date=draft.review_date,
    )
    if draft.review_date is None:
        raise ValueError("an action needs a review date; validate() first")
    action = store.add_action(
        session=session,
        review_id=review.id,
        what=draft.what.strip(),
        owner_id=owner.user_id,
        owner_tz=owner.tz,
        review_date=draft.review_date,
        success_criterion=draft.success_criterion.strip(),
        kind=draft.kind,
        specificity=specificity.score,
        created_by=created_by,
    )
    # The owner is not made a participant: owning an action grants the action, not the
    # review, so a confidential review stays closed to an owner who is not part of it.
    store.touch(review)
    plan_nudges(session=session, action=action, policy=policy, now=now, fallback_tz=fallback_tz)
    return action, specificity
