"""APScheduler set-up: it only triggers; the database holds what is due and what was sent.

Each process has its own in-memory job store (never a shared one), jobs have fixed ids, run
one at a time and coalesce missed runs, so a replica that was paused does not fire a backlog.

Sessions: `in_one_session` is the one place scheduled code opens a session around a whole
job. The nudge sweep and the digest talk to Slack between writes, so they open their own
short transactions through `storage.db.session_scope` (see bot/jobs/nudges.py): holding one
transaction across Slack calls would keep rows locked for seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.timezones import refresh_owner_zones
from bot.publish import drafts
from bot.runtime.deps import Deps
from bot.slack.clients import TeamClients, as_team_clients, team_clients
from storage.db import session_scope
from storage.events import prune_events

log = logging.getLogger("aarbot.scheduler")


@dataclass(frozen=True)
class Job:
    """A scheduled job: its fixed id, its trigger and what it does with the deps and clients."""

    id: str
    trigger: IntervalTrigger | CronTrigger
    run: Callable[[Deps, TeamClients], object]


def in_one_session(
    work: Callable[[Session, Deps], object],
) -> Callable[[Deps, TeamClients], object]:
    """A job whose work fits one transaction, committed when it returns."""

    def run(deps: Deps, _clients: TeamClients) -> object:
        with session_scope(deps.engine) as session:
            return work(session, deps)

    return run


def _prune(session: Session, deps: Deps) -> int:
    return prune_events(session=session, before=deps.clock() - timedelta(days=7))


def _sweep(deps: Deps, clients: TeamClients) -> str:
    from bot.jobs.nudges import sweep

    result = sweep(deps=deps, client=clients)
    return (
        f"{len(result.sent)} sent, {len(result.failed)} failed, {len(result.cancelled)} cancelled"
    )


def _digest(deps: Deps, clients: TeamClients) -> str:
    from bot.jobs.digest import send_weekly_digest

    return f"digest posted to {send_weekly_digest(deps=deps, client=clients, now=deps.clock())}"


def _zones(deps: Deps, clients: TeamClients) -> int:
    return refresh_owner_zones(deps=deps, client=clients)


def _drafts(deps: Deps, clients: TeamClients) -> str:
    return f"{drafts.post_waiting(deps=deps, client=clients)} waiting review(s) posted"


def jobs(deps: Deps) -> list[Job]:
    """The jobs every process runs."""
    settings = deps.settings
    return [
        Job(
            "prune-processed-events",
            CronTrigger(hour=3, minute=17, timezone=UTC),
            in_one_session(_prune),
        ),
        Job("sweep-nudges", IntervalTrigger(seconds=settings.sweep_seconds), _sweep),
        Job("post-waiting-reviews", IntervalTrigger(seconds=drafts.RETRY_EVERY_SECONDS), _drafts),
        Job("refresh-owner-zones", CronTrigger(hour=4, minute=7, timezone=UTC), _zones),
        Job(
            "weekly-digest",
            CronTrigger(day_of_week=settings.digest_day, hour=settings.digest_hour, timezone=UTC),
            _digest,
        ),
    ]


def run_job(job: Job, deps: Deps, client: TeamClients) -> None:
    """Run one job; errors are logged here, once."""
    try:
        result = job.run(deps, client)
        log.info("job %s finished: %s", job.id, result)
    except Exception:
        # Logged, not raised: APScheduler would only log it less clearly, and the next run
        # picks up whatever this one left, because the database holds the state.
        log.exception("job %s failed", job.id)


def build_scheduler(
    deps: Deps, client: WebClient | TeamClients | None = None
) -> BackgroundScheduler:
    """A scheduler with our jobs added, not yet started.

    Jobs talk to Slack through TeamClients: the one bot token, or in a multi-workspace install
    each team's own token from the installation store.
    """
    if client is None:
        clients = team_clients(deps.settings, deps.engine)
    else:
        clients = as_team_clients(client)
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for job in jobs(deps):
        scheduler.add_job(run_job, job.trigger, args=(job, deps, clients), id=job.id, name=job.id)
    return scheduler
