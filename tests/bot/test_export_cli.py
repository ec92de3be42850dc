"""`aarbot export` as a real process: JSON on stdout, one line on stderr when it cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from storage.db import make_engine
from storage.models import Action, Answer, Review
from tests.database import fresh_postgres_schema, postgres_url

ANSWER = "Zoë: <!channel> the pager 🚒 went off\nthen “nothing” happened"


def _aarbot(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture
def review_ids(session: Session) -> tuple[int, int]:
    """Two reviews, the first with an answer and an action."""
    old = Review(
        team_id="T0TEAM",
        template="incident",
        kind="incident",
        title="Checkout outage",
        channel_id="C0OPS",
        facilitator_id="U0ALICE",
        created_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    )
    new = Review(
        team_id="T0TEAM",
        template="project",
        kind="project",
        title="Launch retro",
        channel_id="C0OPS",
        facilitator_id="U0BOB",
        created_at=datetime(2024, 6, 1, 0, 0, tzinfo=UTC),
    )
    session.add_all([old, new])
    session.flush()
    session.add(Answer(review_id=old.id, question_key="happened", author_id="U0BOB", text=ANSWER))
    session.add(
        Action(
            review_id=old.id,
            what="Add a canary",
            owner_id="U0BOB",
            review_date=date(2024, 6, 3),
            success_criterion="Caught at 5%",
            created_by="U0ALICE",
        )
    )
    session.commit()
    return old.id, new.id


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database that exists but was never migrated."""
    pg = postgres_url()
    if not pg:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        engine = make_engine(url)
        engine.connect().close()  # creates the file
        engine.dispose()
        yield url
        return
    schema = f"aarbot_export_empty_{os.getpid()}"
    yield fresh_postgres_schema(pg, schema)
    engine = make_engine(pg)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def test_export_prints_every_review_as_json(
    tmp_path: Path, database_url: str, review_ids: tuple[int, int]
) -> None:
    result = _aarbot("--format", "json", cwd=tmp_path, database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith('{\n  "format": "aarbot-export",')
    assert ANSWER.splitlines()[0] in result.stdout  # not \u-escaped
    document = json.loads(result.stdout)
    assert document["version"] == 1
    old, new = document["reviews"]
    assert [old["id"], new["id"]] == list(review_ids)
    assert old["created_at"] == "2024-05-01T09:30:00+00:00"
    assert [a["text"] for a in old["answers"]] == [ANSWER]
    assert old["actions"][0]["review_date"] == "2024-06-03"
    assert new["title"] == "Launch retro"


def test_export_filters_by_review_and_since(
    tmp_path: Path, database_url: str, review_ids: tuple[int, int]
) -> None:
    old_id, new_id = review_ids
    one = _aarbot(
        "--format", "json", "--review", str(old_id), cwd=tmp_path, database_url=database_url
    )
    assert one.returncode == 0, one.stderr
    assert [r["id"] for r in json.loads(one.stdout)["reviews"]] == [old_id]
    # Midnight UTC of that day counts: "on or after".
    since = _aarbot(
        "--format", "json", "--since", "2024-06-01", cwd=tmp_path, database_url=database_url
    )
    assert since.returncode == 0, since.stderr
    assert [r["id"] for r in json.loads(since.stdout)["reviews"]] == [new_id]


def test_an_unknown_review_prints_one_line_and_exits_1(
    tmp_path: Path, database_url: str, review_ids: tuple[int, int]
) -> None:
    missing = max(review_ids) + 100
    result = _aarbot(
        "--format", "json", "--review", str(missing), cwd=tmp_path, database_url=database_url
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"aarbot: no review with id {missing}\n"


def test_a_database_without_tables_prints_one_line_and_exits_2(
    tmp_path: Path, empty_database_url: str
) -> None:
    result = _aarbot("--format", "json", cwd=tmp_path, database_url=empty_database_url)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "aarbot: the database has no aarbot tables; run aarbot db upgrade\n"


def test_a_missing_sqlite_file_is_reported_and_not_created(tmp_path: Path) -> None:
    result = _aarbot("--format", "json", cwd=tmp_path, database_url="sqlite:///aarbot.db")
    assert result.returncode == 2
    assert result.stderr == "aarbot: the database has no aarbot tables; run aarbot db upgrade\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--format", "json", "--since", "June 1"], "--since"),
        (["--format", "json", "--since", "2024-02-30"], "--since"),
        (["--format", "md"], "--format"),
        (["--format", "json", "--review", "abc"], "--review"),
        ([], "--format"),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path: Path, args: list[str], complaint: str) -> None:
    result = _aarbot(*args, cwd=tmp_path, database_url="sqlite:///aarbot.db")
    assert result.returncode == 2
    assert result.stdout == ""
    assert complaint in result.stderr.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []
