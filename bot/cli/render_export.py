"""An export document as Markdown post-mortems or as a CSV of actions: pure functions.

User text is escaped only where Markdown would otherwise read it as structure or HTML, so
every word appears exactly as typed once the document is rendered.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flows.templates import GAP_LABELS, GapType, QuestionKind, Template

CSV_COLUMNS = (
    "review_id",
    "review_title",
    "action_id",
    "what",
    "owner_id",
    "review_date",
    "success_criterion",
    "kind",
    "status",
    "outcome",
    "outcome_summary",
    "drop_reason",
    "specificity",
    "created_at",
    "completed_at",
)
# Characters that start emphasis, code, links or raw HTML anywhere in a line, and entities.
_INLINE = re.compile(r"([\\`*_\[<])|&(?=#?\w+;)")
# What makes a line a heading, quote, list item, rule, table row or fence when it leads.
_LEADING = re.compile(r"^(\s*)(?:(\d+)([.)])|([#>+\-=|~]))")
# What makes a spreadsheet read a cell as a formula when it leads (OWASP's CSV injection list).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def to_csv(document: Mapping[str, Any]) -> str:
    """One row per action with its review's id and title, RFC 4180 quoting, header first.

    Text a spreadsheet would run as a formula starts with an apostrophe.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for review in document["reviews"]:
        for action in review["actions"]:
            row = {**action, "review_id": review["id"], "review_title": review["title"]}
            row["action_id"] = action["id"]
            writer.writerow([_csv_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    # An apostrophe in front keeps typed text like "=HYPERLINK(…)" text when opened.
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def to_markdown(document: Mapping[str, Any], *, templates: Mapping[str, Template]) -> str:
    """Each review as a post-mortem: metadata, questions in template order, actions, lessons."""
    reviews = document["reviews"]
    if not reviews:
        return "*No reviews to export.*\n"
    return "\n---\n\n".join(_review(r, templates.get(r["template"])) for r in reviews)


def _escalated(escalation: Mapping[str, Any]) -> str:
    chain = ", ".join(f"review {i}" for i in escalation["chain_ids"].split(","))
    return f"{_when(escalation['created_at'])} as a repeated failure ({chain})"


def _review(review: Mapping[str, Any], template: Template | None) -> str:
    lines = [f"# {_heading(review['title'])}", ""]
    if review["confidential"]:
        lines += ["> **Confidential:** for the review's participants and leads only.", ""]
    name = template.name if template else review["template"]
    meta = [
        ("Template", f"{_heading(name)} (`{review['template']}`)"),
        ("Channel", f"`{review['channel_id']}`"),
        ("Facilitator", f"`{review['facilitator_id']}`"),
        ("Stage", review["stage"]),
        ("Created", _when(review["created_at"])),
        ("Closed", _when(review["closed_at"])),
        ("Gap type", _gap(review["gap_type"])),
        ("Repeat of", review["repeat_of_id"] and f"review {review['repeat_of_id']}"),
        ("Escalated", "; ".join(_escalated(e) for e in review.get("escalations", []))),
        ("Confidential", "yes" if review["confidential"] else "no"),
        ("Thread", review["permalink"]),
    ]
    lines += [f"- **{label}:** {value}" for label, value in meta if value]
    lines.append("")

    by_key: dict[str, list[Mapping[str, Any]]] = {}
    for answer in review["answers"]:
        by_key.setdefault(answer["question_key"], []).append(answer)
    questions = template.questions if template else ()
    actions_shown = False
    for question in questions:
        lines += [f"## {_heading(question.prompt)}", ""]
        answers = by_key.pop(question.key, [])
        if answers or question.kind is not QuestionKind.ACTIONS:
            lines += _answers(answers)
        if question.kind is QuestionKind.GAP_TYPE:
            lines += [f"**Root cause gap type:** {_gap(review['gap_type']) or 'not chosen'}", ""]
        elif question.kind is QuestionKind.ACTIONS and not actions_shown:
            lines += _actions(review["actions"])
            actions_shown = True
    for key, answers in by_key.items():
        lines += [f"## {_heading(key)}", ""]
        lines += _answers(answers)
    if not actions_shown:
        lines += ["## Actions", ""]
        lines += _actions(review["actions"])
    if review["lessons"]:
        lines += ["## Shared lessons", ""]
        for lesson in review["lessons"]:
            lines += _item(
                f"{_when(lesson['shared_at'])} by `{lesson['shared_by']}` "
                f"in `{lesson['channel_id']}`:",
                lesson["text"],
            )
        lines.append("")
    return "\n".join(lines)


def _answers(answers: list[Mapping[str, Any]]) -> list[str]:
    if not answers:
        return ["*No answers.*", ""]
    lines: list[str] = []
    for answer in answers:
        lines += _item(f"`{answer['author_id']}`:", answer["text"])
    return [*lines, ""]


def _item(lead: str, body: str) -> list[str]:
    """A bullet whose later lines are indented into the same list item."""
    first, *rest = _text(body).split("\n")
    return [f"- {lead} {first}".rstrip(), *(f"  {line}" if line else "" for line in rest)]


def _actions(actions: list[Mapping[str, Any]]) -> list[str]:
    if not actions:
        return ["*No actions.*", ""]
    lines = [
        "| What | Owner | Review date | Success criterion | Status | Outcome |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for action in actions:
        outcome = " — ".join(
            v for v in (action["outcome"], action["outcome_summary"], action["drop_reason"]) if v
        )
        cells = (
            _cell(action["what"]),
            f"`{action['owner_id']}`",
            action["review_date"],
            _cell(action["success_criterion"]),
            action["status"],
            _cell(outcome),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _cell(value: str) -> str:
    # A newline would end the row: break the line inside the cell instead.
    return "<br>".join(_inline(line).replace("|", "\\|") for line in value.split("\n"))


def _text(value: str) -> str:
    """User text for a block: inline escapes plus a guard on each line's leading marker."""
    return "\n".join(_LEADING.sub(_guard, _inline(line)) for line in value.split("\n"))


def _guard(match: re.Match[str]) -> str:
    indent, number, dot, marker = match.groups()
    return f"{indent}{number}\\{dot}" if number else f"{indent}\\{marker}"


def _heading(value: str) -> str:
    # A heading is one line: the text's own line breaks become spaces.
    return _text(" ".join(value.split("\n")))


def _inline(value: str) -> str:
    return _INLINE.sub(lambda m: "\\" + (m.group(1) or "&"), value)


def _when(value: str | None) -> str:
    if not value:
        return ""
    return f"{datetime.fromisoformat(value):%Y-%m-%d %H:%M} UTC"


def _gap(value: str | None) -> str:
    if not value:
        return ""
    try:
        return GAP_LABELS[GapType(value)]
    except ValueError:
        return _text(value)
