"""`aarbot export` as a real process: JSON on stdout, one line on stderr when it cannot."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from storage.db import make_engine, upgrade
from storage.models import Action, Answer, Review
from tests.database import PG_SKIP_REASON, fresh_postgres_schema, postgres_url
from tests.storage.test_import import rich_database

ANSWER = "Zoë: <!channel> the pager 🚒 went off\nthen “nothing” happened"


def _aarbot(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    return _cli("export", *args, cwd=cwd, database_url=database_url)


def _cli(
    *args: str, cwd: Path, database_url: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AARBOT_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        input=stdin,
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
        (["--format", "xml"], "--format"),
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


@pytest.fixture
def target_url(tmp_path: Path) -> Iterator[str]:
    """A second migrated, empty database on the run's backend, for imports."""
    pg = postgres_url()
    schema = f"aarbot_import_cli_{os.getpid()}"
    url = fresh_postgres_schema(pg, schema) if pg else f"sqlite:///{tmp_path / 'target.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if pg:
        engine = make_engine(pg)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def _without_time(output: str) -> dict:
    document = json.loads(output)
    document.pop("exported_at")
    return document


def test_export_md_prints_a_post_mortem_per_review(
    tmp_path: Path, database_url: str, review_ids: tuple[int, int]
) -> None:
    result = _aarbot("--format", "md", cwd=tmp_path, database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    old, new = result.stdout.split("\n---\n\n")
    assert old.startswith("# Checkout outage\n")
    assert "## happened\n\n- `U0BOB`: Zoë: \\<!channel> the pager 🚒 went off\n" in old
    assert "| Add a canary | `U0BOB` | 2024-06-03 | Caught at 5% | open |  |" in old
    assert new.startswith("# Launch retro\n")
    assert "## Actions\n\n*No actions.*" in new


def test_export_csv_prints_the_actions(
    tmp_path: Path, database_url: str, review_ids: tuple[int, int]
) -> None:
    result = _aarbot("--format", "csv", cwd=tmp_path, database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("review_id,review_title,action_id,what,")
    [row] = csv.DictReader(io.StringIO(result.stdout, newline=""))
    assert (row["review_id"], row["review_title"]) == (str(review_ids[0]), "Checkout outage")
    assert (row["what"], row["review_date"], row["status"]) == (
        "Add a canary",
        "2024-06-03",
        "open",
    )


def test_import_loads_an_export_into_an_empty_database_once(
    tmp_path: Path, database_url: str, review_ids: tuple[int, int], target_url: str
) -> None:
    exported = _aarbot("--format", "json", cwd=tmp_path, database_url=database_url)
    assert exported.returncode == 0, exported.stderr
    loaded = _cli("import", "-", cwd=tmp_path, database_url=target_url, stdin=exported.stdout)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == (
        "imported 2 reviews, 0 participants, 1 answer, 1 action, 0 nudges, 0 lessons\n"
    )
    again = _aarbot("--format", "json", cwd=tmp_path, database_url=target_url)
    assert _without_time(again.stdout) == _without_time(exported.stdout)

    dump = tmp_path / "export.json"
    dump.write_text(exported.stdout, encoding="utf-8")
    twice = _cli("import", str(dump), cwd=tmp_path, database_url=target_url)
    assert twice.returncode == 2
    assert twice.stderr == (
        "aarbot: nothing imported: the database already holds reviews; "
        "import only into an empty one\n"
    )


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("not json", "cannot read"),
        ('{"format": "aarbot-export", "version": 9, "reviews": []}', "version 9"),
        ('{"format": "aarbot-export", "version": 1, "reviews": [{"id": "x"}]}', "reviews[0].id"),
    ],
)
def test_a_malformed_file_is_refused_in_one_line(
    tmp_path: Path, target_url: str, content: str, complaint: str
) -> None:
    dump = tmp_path / "bad.json"
    dump.write_text(content, encoding="utf-8")
    result = _cli("import", str(dump), cwd=tmp_path, database_url=target_url)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("aarbot: ")
    assert complaint in line
    engine = make_engine(target_url)
    with Session(engine) as session:
        assert session.exec(select(Review)).all() == []
    engine.dispose()


def test_a_sqlite_database_moves_to_postgresql(tmp_path: Path, target_url: str) -> None:
    if not postgres_url():
        pytest.skip(PG_SKIP_REASON)
    source = f"sqlite:///{tmp_path / 'source.db'}"
    engine = make_engine(source)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        rich_database(session)
    engine.dispose()
    exported = _aarbot("--format", "json", cwd=tmp_path, database_url=source)
    assert exported.returncode == 0, exported.stderr
    loaded = _cli("import", "-", cwd=tmp_path, database_url=target_url, stdin=exported.stdout)
    assert loaded.returncode == 0, loaded.stderr
    moved = _aarbot("--format", "json", cwd=tmp_path, database_url=target_url)
    assert _without_time(moved.stdout) == _without_time(exported.stdout)
