from pathlib import Path

import pytest

from flows.templates import (
    GAP_LABELS,
    GapType,
    QuestionKind,
    Template,
    builtin_templates,
    load_templates,
)

FLOWS = Path(__file__).resolve().parents[2] / "flows"

TEAM_MISS = """\
key: miss
name: Our miss review
description: Shorter, for small slips.
questions:
  - key: expected
    prompt: What did we expect?
  - key: actual
    prompt: What happened instead?
  - key: actions
    prompt: What will we change?
    kind: actions
"""

TEAM_SALES = """\
key: lost_deal
name: Lost deal review
questions:
  - key: signals
    prompt: Which buying signals did we read, and how?
    help: What did the customer say or do that we took as interest?
  - key: root_cause
    prompt: Why did the deal go elsewhere?
    kind: gap_type
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_miss_asks_the_diagnostic_questions_in_order():
    miss = builtin_templates()["miss"]
    assert [q.key for q in miss.questions] == [
        "expected",
        "actual",
        "assumption",
        "evidence",
        "changed",
        "root_cause",
        "actions",
        "lesson",
    ]
    assert miss.name == "After-action review of a miss"
    assert miss.question("assumption").prompt == "What assumption guided this decision?"
    assert miss.question("evidence").prompt == "What evidence did we have?"
    assert miss.question("changed").prompt == "What changed?"
    assert miss.question("root_cause").kind is QuestionKind.GAP_TYPE
    assert miss.question("actions").kind is QuestionKind.ACTIONS


def test_success_and_postmortem_orders():
    templates = builtin_templates()
    assert [q.key for q in templates["success"].questions] == [
        "expected",
        "actual",
        "what_worked",
        "luck_vs_repeatable",
        "spread",
        "lesson",
    ]
    assert templates["success"].question("spread").kind is QuestionKind.ACTIONS
    assert templates["success"].name == "Don't let a success go to waste"
    assert [q.key for q in templates["postmortem"].questions] == [
        "impact",
        "timeline",
        "contributing_factors",
        "root_cause",
        "actions",
        "lesson",
    ]
    assert templates["postmortem"].name == "Incident postmortem"


def test_every_builtin_question_fits_slack_and_has_help():
    for template in builtin_templates().values():
        for q in template.questions:
            assert 1 <= len(q.prompt) <= 150
            assert 1 <= len(q.help) <= 150, (template.key, q.key)


def test_question_lookup_and_position():
    miss = builtin_templates()["miss"]
    assert miss.index_of("root_cause") == 5
    assert miss.question("nope") is None
    with pytest.raises(ValueError, match="nope"):
        miss.index_of("nope")


def test_the_root_cause_question_is_the_gap_type_one(tmp_path):
    assert builtin_templates()["miss"].root_cause_question().key == "root_cause"
    assert builtin_templates()["postmortem"].root_cause_question().key == "root_cause"
    assert builtin_templates()["success"].root_cause_question() is None
    write(tmp_path, "sales.yml", TEAM_SALES)
    sales = load_templates(tmp_path).templates["lost_deal"]
    assert sales.root_cause_question().prompt == "Why did the deal go elsewhere?"


def test_every_gap_type_has_a_label():
    assert set(GAP_LABELS) == set(GapType)
    assert [g.value for g in GapType] == ["skill", "process", "context", "resources"]


def test_builtins_are_cached_but_callers_cannot_corrupt_them():
    first = builtin_templates()
    first.pop("miss")
    assert "miss" in builtin_templates()


def test_no_folder_means_builtins_only():
    catalog = load_templates(None)
    assert list(catalog.templates) == ["miss", "success", "postmortem"]
    assert catalog.errors == []


def test_missing_folder_is_an_error_not_a_crash(tmp_path):
    catalog = load_templates(tmp_path / "absent")
    assert catalog.errors == [f"template folder {tmp_path / 'absent'} does not exist"]
    assert "miss" in catalog.templates


def test_team_file_overrides_a_builtin(tmp_path):
    write(tmp_path, "miss.yml", TEAM_MISS)
    catalog = load_templates(tmp_path)
    assert catalog.errors == []
    miss = catalog.templates["miss"]
    assert miss.name == "Our miss review"
    assert [q.key for q in miss.questions] == ["expected", "actual", "actions"]
    assert miss.question("expected").kind is QuestionKind.TEXT
    assert miss.question("expected").help == ""
    # The other built-ins are untouched.
    assert catalog.templates["success"] == builtin_templates()["success"]


def test_team_file_adds_a_template_after_the_builtins(tmp_path):
    write(tmp_path, "lost_deal.yaml", TEAM_SALES)
    write(tmp_path, "notes.txt", "not a template")
    catalog = load_templates(tmp_path)
    assert catalog.errors == []
    assert list(catalog.templates) == ["miss", "success", "postmortem", "lost_deal"]
    deal = catalog.templates["lost_deal"]
    assert isinstance(deal, Template)
    assert deal.description == ""
    assert deal.question("root_cause").kind is QuestionKind.GAP_TYPE


BROKEN = {
    "yaml_syntax": ("key: x\nname: [unclosed\nquestions: []\n", "line 3", "YAML syntax error"),
    "missing_name": ("key: x\nquestions:\n  - key: a\n    prompt: A?\n", "name", "missing"),
    "unknown_kind": (
        "key: x\nname: X\nquestions:\n  - key: a\n    prompt: A?\n"
        "  - key: b\n    prompt: B?\n    kind: essay\n",
        "questions[1].kind",
        "unknown question kind 'essay'",
    ),
    "duplicate_keys": (
        "key: x\nname: X\nquestions:\n  - key: a\n    prompt: A?\n  - key: a\n    prompt: B?\n",
        "questions[1].key",
        "duplicate key 'a'",
    ),
    "empty_questions": ("key: x\nname: X\nquestions: []\n", "questions", "at least one question"),
    "prompt_not_text": (
        "key: x\nname: X\nquestions:\n  - key: a\n    prompt: 42\n",
        "questions[0].prompt",
        "must be text",
    ),
    "questions_not_list": ("key: x\nname: X\nquestions: ask things\n", "questions", "list"),
    "bad_question_key": (
        "key: x\nname: X\nquestions:\n  - key: Root Cause\n    prompt: Why?\n",
        "questions[0].key",
        "lowercase",
    ),
    "prompt_too_long": (
        f"key: x\nname: X\nquestions:\n  - key: a\n    prompt: {'w' * 151}\n",
        "questions[0].prompt",
        "limit is 150",
    ),
    "typo_field": (
        "key: x\nname: X\nquestions:\n  - key: a\n    prompt: A?\n    hepl: oops\n",
        "questions[0].hepl",
        "unknown field",
    ),
    "empty_file": ("", "file", "empty"),
    "top_level_list": ("- key: x\n", "top level", "mapping"),
    "question_not_mapping": (
        "key: x\nname: X\nquestions:\n  - just text\n",
        "questions[0]",
        "mapping",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_team_file_is_reported_and_builtins_keep_working(tmp_path, case):
    text, place, problem = BROKEN[case]
    write(tmp_path, f"{case}.yml", text)
    write(tmp_path, "zz_good.yml", TEAM_SALES)
    catalog = load_templates(tmp_path)
    assert len(catalog.errors) == 1
    error = catalog.errors[0]
    assert error.startswith(f"{case}.yml: {place}:"), error
    assert problem in error
    assert {"miss", "success", "postmortem", "lost_deal"} <= set(catalog.templates)
    assert "x" not in catalog.templates


def test_two_team_files_with_the_same_key_keep_the_first(tmp_path):
    write(tmp_path, "a.yml", TEAM_SALES)
    write(tmp_path, "b.yml", TEAM_SALES.replace("Lost deal review", "Duplicate"))
    catalog = load_templates(tmp_path)
    assert catalog.templates["lost_deal"].name == "Lost deal review"
    assert len(catalog.errors) == 1
    assert catalog.errors[0].startswith("b.yml: key:")
    assert "a.yml" in catalog.errors[0]
