"""One workspace per request: the one check that a request only touches its own team's rows.

`scope(session, team_id)` makes every ORM query the session runs from then on (selects,
`session.get`, ORM updates and deletes) see only the reviews of that team, and the rows that
hang off them: participants, answers, actions and their nudges, lessons, repeat checks,
escalations. A review or action of another workspace is then simply not found, so whatever
a listener does when it finds nothing (a private "no longer exists") is what a request
signed for another workspace gets. Request sessions are scoped to the team that signed the
request; jobs after the ack replay the same request, so they are scoped the same way. The
scheduler's sweeps, which work across workspaces, are not scoped.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlmodel import Session

from storage.models import (
    Action,
    Answer,
    Escalation,
    Lesson,
    Nudge,
    Participant,
    RepeatCheck,
    Review,
)

TEAM_KEY = "aarbot_team"
# A team id no workspace has: a request that names no team sees no team's rows.
NO_TEAM = ""


def scope(session: Session, team_id: str | None) -> Session:
    """From now on, `session` sees only `team_id`'s rows (none at all for no team)."""
    session.info[TEAM_KEY] = team_id if isinstance(team_id, str) else NO_TEAM
    return session


def team_of_session(session: Session) -> str | None:
    """The team a session is scoped to, or None when it is not scoped."""
    return session.info.get(TEAM_KEY)


@functools.lru_cache(maxsize=1024)
def _criteria(team_id: str) -> dict[type, Any]:
    """The criteria for each team-owned model, built once per team (they are immutable)."""
    reviews = select(Review.id).where(Review.team_id == team_id)
    actions = select(Action.id).where(Action.review_id.in_(reviews))
    by_review = (Participant, Answer, Action, Lesson, RepeatCheck)
    return {
        Review: with_loader_criteria(Review, Review.team_id == team_id, include_aliases=True),
        Escalation: with_loader_criteria(
            Escalation, Escalation.team_id == team_id, include_aliases=True
        ),
        **{
            model: with_loader_criteria(model, model.review_id.in_(reviews), include_aliases=True)
            for model in by_review
        },
        Nudge: with_loader_criteria(Nudge, Nudge.action_id.in_(actions), include_aliases=True),
    }


@event.listens_for(Session, "do_orm_execute")
def _only_this_team(state: ORMExecuteState) -> None:
    team_id = state.session.info.get(TEAM_KEY)
    if team_id is None or state.is_column_load or state.is_relationship_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        # A statement whose rows are all of team-owned models needs only their criteria (a
        # row of one is the team's, and so is what it joins); any other gets them all.
        criteria = _criteria(team_id)
        models = [m.class_ for m in state.all_mappers]
        if models and all(model in criteria for model in models):
            wanted = [criteria[model] for model in dict.fromkeys(models)]
        else:
            wanted = list(criteria.values())
        state.statement = state.statement.options(*wanted)
