"""The scheduler only triggers: fixed job ids, one run at a time, no shared job store."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs.scheduler import Job, build_scheduler, run_job
from bot.runtime.deps import Deps
from bot.standin import SlackStandIn


def test_every_job_has_a_fixed_id_runs_alone_and_coalesces(
    deps: Deps, standin: SlackStandIn
) -> None:
    deps = replace(deps, settings=deps.settings.model_copy(update={"sweep_seconds": 30}))
    scheduler = build_scheduler(deps)
    scheduler.start(paused=True)  # job defaults apply once the jobs reach their store
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {
        "prune-processed-events",
        "sweep-nudges",
        "refresh-owner-zones",
        "weekly-digest",
        "post-waiting-reviews",
    }
    for job in jobs.values():
        assert job.max_instances == 1
        assert job.coalesce is True
    assert jobs["sweep-nudges"].trigger.interval.total_seconds() == 30
    # Each process keeps its own in-memory store: replicas never share APScheduler state.
    assert isinstance(scheduler._jobstores["default"], MemoryJobStore)


def test_a_failing_job_is_logged_not_raised(deps: Deps, caplog: pytest.LogCaptureFixture) -> None:
    def boom(_deps: Deps, _client: object) -> None:
        raise RuntimeError("slack is down")

    with caplog.at_level(logging.ERROR, logger="aarbot.scheduler"):
        run_job(Job("boom", IntervalTrigger(seconds=60), boom), deps, client=None)
    assert "job boom failed" in caplog.text
    assert "slack is down" in caplog.text
