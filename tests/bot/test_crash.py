"""SIGKILLed at any moment, `aarbot run --http` loses nothing it acked and stores nothing twice.

The run is bench/crash.py's, smaller: thread replies, Next clicks and Add action submissions
from a few senders while the whole process group is killed at random moments, then killed the
moment each of a few acks of each kind arrives; `aarbot export --format json` is compared with
what was acked. It runs on this session's database (SQLite, or PostgreSQL when
AARBOT_TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from bot.standin import SlackStandIn

CRASH = Path(__file__).resolve().parents[2] / "bench" / "crash.py"
KINDS = ("reply", "next", "action")


def _crash() -> ModuleType:
    """bench/crash.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("bench_crash", CRASH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_nothing_acked_is_lost_or_doubled_when_killed_at_random_and_at_each_ack(
    run_database_url: str, standin: SlackStandIn, tmp_path: Path
) -> None:
    crash = _crash()
    result = crash.run(
        database_url=run_database_url,
        api_url=standin.base_url,
        workdir=tmp_path,
        kills=5,
        ack_kills=2,
        senders=3,
        rate=6.0,
        reviews=4,
        between=(1.0, 3.0),
        # A job its killed process had claimed runs again once its lease is over.
        lease=10,
        settle=30.0,
        drain_timeout=90.0,
        say=lambda *_: None,
    )
    seen = f"seed {result.seed}: {dict(result.examples)}"
    assert result.kills == 5
    assert result.ack_kills == 2 * len(KINDS), seen
    # Every kind got through, so the counts below are about something.
    assert all(result.acked[kind] > 0 for kind in KINDS), seen
    assert not result.refused, seen  # every valid action is accepted on the first submit
    assert dict(result.missing) == {}, seen
    assert dict(result.doubled) == {}, seen
    assert result.drain_complete, seen
