"""Gathering and publishing a person's App Home, and republishing it when something in it changed.

The Home is published when someone opens it (bot/slack/listeners/events/home.py) and republished
for the people a change concerns: an action's owner when it is added, done, rescheduled or
dropped; a review's people when it closes or reopens. A lead's Home shows the workspace's
stats, so republishing it counts them again (a few aggregate queries); other people's Homes
count nothing but their own lists.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.runtime.deps import Deps
from bot.slack.blocks.home import (
    LISTED,
    SHOWN_ACTIONS,
    SHOWN_LESSONS,
    SHOWN_REVIEWS,
    HomeContent,
    MoreList,
    actions_modal,
    home_view,
    lessons_modal,
    reviews_modal,
)
from flows.stats import DEFAULT_DAYS, scope_figures
from storage import home
from storage import reviews as store
from storage.models import Review
from storage.visibility import can_see, visible_review_ids

log = logging.getLogger("aarbot.home")


def home_content(
    session: Session,
    deps: Deps,
    *,
    team_id: str,
    user_id: str,
    limits: tuple[int, int, int] = (SHOWN_ACTIONS, SHOWN_REVIEWS, SHOWN_LESSONS),
    with_stats: bool = True,
) -> HomeContent:
    """What the person's Home (or a "See all" list, with larger `limits`) shows."""
    is_lead = user_id in deps.settings.leads
    now = deps.clock()
    person = {"session": session, "team_id": team_id}
    n_actions, n_reviews, n_lessons = limits
    actions = home.open_actions_of(**person, user_id=user_id, limit=n_actions)
    # An owner sees their own action even in a confidential review they are not part of
    # (its nudges reach them anyway), but not the review's name.
    review_ids = {review.id for _, review in actions if review.id is not None}
    seen = visible_review_ids(
        session=session, review_ids=review_ids, viewer_id=user_id, is_lead=is_lead
    )
    lessons = home.recent_lessons(**person, viewer_id=user_id, is_lead=is_lead, limit=n_lessons)
    stats = None
    if with_stats and is_lead:
        stats = scope_figures(
            **person,
            viewer_id=user_id,
            is_lead=True,
            now=now,
            days=DEFAULT_DAYS,
            fallback_tz=deps.settings.default_tz,
        )
    return HomeContent(
        actions=actions,
        action_total=home.count_open_actions_of(**person, user_id=user_id),
        reviews=home.reviews_of(**person, user_id=user_id, limit=n_reviews),
        review_total=home.count_reviews_of(**person, user_id=user_id),
        lessons=lessons,
        lesson_total=home.count_lessons(**person, viewer_id=user_id, is_lead=is_lead),
        today=now.date(),
        hidden=frozenset(review_ids - seen),
        stats=stats,
        stats_days=DEFAULT_DAYS,
        template_names={key: t.name for key, t in deps.templates.templates.items()},
    )


def hidden_from(session: Session, deps: Deps, review: Review, user_id: str) -> bool:
    """True when this person may not see the review: an action of theirs shows it unnamed."""
    is_lead = user_id in deps.settings.leads
    return not can_see(session=session, review=review, viewer_id=user_id, is_lead=is_lead)


def publish_home(
    client: WebClient, session: Session, deps: Deps, *, team_id: str, user_id: str
) -> None:
    """Build the person's Home and publish it (views.publish)."""
    view = home_view(home_content(session, deps, team_id=team_id, user_id=user_id))
    client.views_publish(user_id=user_id, view=view)


def refresh_homes(
    client: WebClient, session: Session, deps: Deps, *, team_id: str, user_ids: Iterable[str]
) -> None:
    """Republish these people's Homes; a failure is logged, never raised to the caller."""
    for user_id in dict.fromkeys(u for u in user_ids if u):
        try:
            # A savepoint: a failed read must not spoil the caller's own transaction.
            with session.begin_nested():
                view = home_view(home_content(session, deps, team_id=team_id, user_id=user_id))
            client.views_publish(user_id=user_id, view=view)
        except Exception:
            # The change itself is already made; a stale Home is fixed on the next open.
            log.warning("could not refresh the App Home of %s", user_id, exc_info=True)


def more_modal(session: Session, deps: Deps, *, team_id: str, user_id: str, which: str) -> View:
    """The modal behind a list's "See all" button on the Home."""
    limits = {
        MoreList.ACTIONS: (LISTED, 0, 0),
        MoreList.REVIEWS: (0, LISTED, 0),
        MoreList.LESSONS: (0, 0, LISTED),
    }.get(which, (0, 0, 0))
    content = home_content(
        session, deps, team_id=team_id, user_id=user_id, limits=limits, with_stats=False
    )
    if which == MoreList.REVIEWS:
        return reviews_modal(content)
    if which == MoreList.LESSONS:
        return lessons_modal(content)
    return actions_modal(content)


def refresh_review_homes(client: WebClient, session: Session, deps: Deps, review: Review) -> None:
    """Republish the Homes of a review's facilitator and participants (its stage changed)."""
    people = store.participants(session=session, review_id=review.id)
    user_ids = [review.facilitator_id, *(p.user_id for p in people)]
    refresh_homes(client, session, deps, team_id=review.team_id, user_ids=user_ids)
