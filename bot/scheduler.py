"""APScheduler set-up: it only triggers; the database holds what is due and what was sent.

Each process has its own in-memory job store (never a shared one), jobs have fixed ids, run
one at a time and coalesce missed runs, so a replica that was paused does not fire a backlog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

from bot.deps import Deps
from storage.db import session_scope
from storage.events import prune_events

log = logging.getLogger("aarbot.scheduler")


@dataclass(frozen=True)
class Job:
    """A scheduled job: its fixed id, its trigger and what it does with a session."""

    id: str
    trigger: IntervalTrigger | CronTrigger
    run: Callable[[Session, Deps], object]


def _prune(session: Session, deps: Deps) -> int:
    return prune_events(session=session, before=deps.clock() - timedelta(days=7))


def jobs(deps: Deps) -> list[Job]:
    """The jobs every process runs."""
    return [
        Job("prune-processed-events", CronTrigger(hour=3, minute=17, timezone=UTC), _prune),
    ]


def run_job(job: Job, deps: Deps) -> None:
    """Run one job in its own session: the one place scheduled code opens a session."""
    try:
        with session_scope(deps.engine) as session:
            result = job.run(session, deps)
        log.info("job %s finished: %s", job.id, result)
    except Exception:
        # Logged, not raised: APScheduler would only log it less clearly, and the next run
        # picks up whatever this one left, because the database holds the state.
        log.exception("job %s failed", job.id)


def build_scheduler(deps: Deps) -> BackgroundScheduler:
    """A scheduler with our jobs added, not yet started."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for job in jobs(deps):
        scheduler.add_job(run_job, job.trigger, args=(job, deps), id=job.id, name=job.id)
    return scheduler
