"""Markdown post-mortems and the actions CSV, rendered from a real export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.cli.render_export import CSV_COLUMNS, to_csv, to_markdown
from flows.templates import builtin_templates
from storage.export import export_reviews
from tests.storage.test_import import WORDS, rich_database


@pytest.fixture
def document(engine: Engine, session: Session) -> dict:
    rich_database(session)
    with Session(engine) as fresh:
        return export_reviews(session=fresh)


@pytest.fixture
def markdown(document: dict) -> str:
    return to_markdown(document, templates=builtin_templates())


def _section(markdown: str, title: str) -> str:
    """One review's part of the document."""
    return next(part for part in markdown.split("\n---\n") if f"# {title}" in part)


def test_questions_are_headings_in_the_templates_order(markdown: str) -> None:
    first = _section(markdown, "Checkout | outage")
    prompts = [q.prompt for q in builtin_templates()["miss"].questions]
    headings = [line[3:] for line in first.splitlines() if line.startswith("## ")]
    assert headings[: len(prompts)] == prompts
    assert headings[len(prompts) :] == ["Shared lessons"]
    postmortem = _section(markdown, "Checkout again")
    prompts = [q.prompt for q in builtin_templates()["postmortem"].questions]
    assert [line[3:] for line in postmortem.splitlines() if line.startswith("## ")] == prompts


def test_metadata_names_the_template_channel_people_and_gap(markdown: str, document: dict) -> None:
    first_id = document["reviews"][0]["id"]
    first = _section(markdown, "Checkout | outage")
    assert "- **Template:** After-action review of a miss (`miss`)" in first
    assert "- **Channel:** `C0OPS`" in first
    assert "- **Facilitator:** `U0ALICE`" in first
    assert "- **Stage:** shared" in first
    assert "- **Closed:** 2024-05-01 09:30 UTC" in first
    assert "- **Confidential:** yes" in first
    assert "**Root cause gap type:** Process — the way we work allowed it" in first
    again = _section(markdown, "Checkout again")
    assert "- **Confidential:** no" in again
    assert f"- **Repeat of:** review {first_id}" in again
    second_id = document["reviews"][1]["id"]
    assert f"as a repeated failure (review {first_id}, review {second_id})" in again
    assert "Escalated" not in first


def test_answers_are_kept_word_for_word_under_their_question(markdown: str) -> None:
    first = _section(markdown, "Checkout | outage")
    expected = first.split("## What did we expect to happen?")[1].split("## ")[0]
    assert f"- `U0CAROL`: {WORDS[0]}" in expected
    actual = first.split("## What actually happened?")[1].split("## ")[0]
    # Raw HTML would hide `<!channel>`; escaped, it shows as typed.
    assert "- `U0BOB`: \\<!channel> heads up: \\<@U0BOB> & \\<#C0OPS|ops> | pipes" in actual
    lesson = first.split("## What did we learn?")[1].split("## ")[0]
    assert "- `U0CAROL`: line one\n  line two\n\n      indented\ttab, trailing space" in lesson


def test_actions_are_a_table_with_pipes_and_newlines_escaped(markdown: str) -> None:
    first = _section(markdown, "Checkout | outage")
    table = [line for line in first.splitlines() if line.startswith("| ")]
    assert table[0] == "| What | Owner | Review date | Success criterion | Status | Outcome |"
    assert table[2] == (
        '| Add a canary, "5%" first | `U0BOB` | 2024-06-03 | line one<br>line two<br><br>'
        "    indented\ttab, trailing space  | open |  |"
    )
    assert table[3].startswith("| Page the owner | `U0CAROL` | 2024-05-20 |")
    assert table[3].endswith(f"| done | met — {WORDS[0]} |")
    # Every row has exactly the header's unescaped pipes.
    assert {row.replace("\\|", "").count("|") for row in table} == {7}


def test_an_unknown_template_lists_its_answers_and_actions_after(document: dict) -> None:
    bare = document["reviews"][2]
    bare["answers"] = [
        {"question_key": "why", "author_id": "U0BOB", "text": "# not a heading\n1. nor a list"}
    ]
    text = to_markdown({**document, "reviews": [bare]}, templates=builtin_templates())
    assert "- **Template:** gone (`gone`)" in text
    assert "## why\n\n- `U0BOB`: \\# not a heading\n  1\\. nor a list\n" in text
    assert "## Actions\n\n*No actions.*" in text


def test_no_reviews_says_so() -> None:
    assert to_markdown({"reviews": []}, templates={}) == "*No reviews to export.*\n"


def test_the_csv_parses_back_to_the_actions(document: dict) -> None:
    text = to_csv(document)
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["what"] for r in rows] == ['Add a canary, "5%" first', "Page the owner"]
    canary, page = rows
    first = document["reviews"][0]
    assert canary["review_id"] == str(first["id"])
    assert canary["review_title"] == "Checkout | outage"
    assert canary["action_id"] == str(first["actions"][0]["id"])
    assert canary["success_criterion"] == WORDS[2]
    assert canary["outcome"] == canary["completed_at"] == ""
    assert (canary["owner_id"], canary["review_date"], canary["kind"]) == (
        "U0BOB",
        "2024-06-03",
        "fix",
    )
    assert (page["status"], page["outcome"], page["outcome_summary"]) == ("done", "met", WORDS[0])
    assert page["completed_at"] == "2024-05-11T09:30:15.123456+00:00"
    assert page["specificity"] == "2"


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x.test")', "+1", "-1", "@SUM(A1)", "\t=1"])
def test_text_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(
    document: dict, typed: str
) -> None:
    first = document["reviews"][0]
    first["title"] = typed
    first["actions"][0].update(what=typed, success_criterion=typed, drop_reason=typed)
    [canary, _] = list(csv.DictReader(io.StringIO(to_csv(document), newline="")))
    for column in ("review_title", "what", "success_criterion", "drop_reason"):
        assert canary[column] == "'" + typed
    assert canary["review_date"] == "2024-06-03"  # nothing else changes
