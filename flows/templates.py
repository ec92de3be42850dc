"""Review templates: ordered questions, built in as data and extendable by team YAML files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from storage.models import GapType  # stored in reviews.gap_type; labelled here

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Prompts become Slack header and label text, which Slack truncates or rejects past ~150 chars.
MAX_PROMPT = 150
MAX_HELP = 150
MAX_NAME = 150

_TEMPLATE_FIELDS = {"key", "name", "description", "questions"}
_QUESTION_FIELDS = {"key", "prompt", "help", "kind"}


class QuestionKind(StrEnum):
    """How an answer to a question is collected."""

    TEXT = "text"
    GAP_TYPE = "gap_type"
    ACTIONS = "actions"


GAP_LABELS: dict[GapType, str] = {
    GapType.SKILL: "Skill — we didn't yet know how",
    GapType.PROCESS: "Process — the way we work allowed it",
    GapType.CONTEXT: "Context — we were missing information",
    GapType.RESOURCES: "Resources — not enough time, people or tools",
}


@dataclass(frozen=True)
class Question:
    """One question of a template."""

    key: str
    prompt: str
    help: str
    kind: QuestionKind = QuestionKind.TEXT


@dataclass(frozen=True)
class Template:
    """An ordered list of questions that a review walks through."""

    key: str
    name: str
    description: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question | None:
        """Return the question with this key, or None."""
        return next((q for q in self.questions if q.key == key), None)

    def root_cause_question(self) -> Question | None:
        """The question asking for the root cause and its gap type, or None."""
        return next((q for q in self.questions if q.kind == QuestionKind.GAP_TYPE), None)

    def index_of(self, key: str) -> int:
        """Return the position of the question with this key; raise ValueError if absent."""
        for i, q in enumerate(self.questions):
            if q.key == key:
                return i
        raise ValueError(f"template {self.key!r} has no question {key!r}")


@dataclass
class TemplateCatalog:
    """Templates available to a team, plus readable errors for team files that did not load."""

    templates: dict[str, Template] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class _SchemaError(Exception):
    """A problem at one place in a template file; caught and turned into an error string."""

    def __init__(self, place: str, problem: str) -> None:
        super().__init__(f"{place}: {problem}")
        self.place = place
        self.problem = problem


def _describe(value: Any) -> str:
    # Team members write these files by hand; say "a number", not "int".
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _text(data: dict[str, Any], name: str, place: str, *, limit: int, required: bool) -> str:
    if name not in data:
        if required:
            raise _SchemaError(place + name, "is missing")
        return ""
    value = data[name]
    if not isinstance(value, str):
        raise _SchemaError(place + name, f"must be text, got {_describe(value)}")
    value = value.strip()
    if required and not value:
        raise _SchemaError(place + name, "must not be empty")
    if len(value) > limit:
        raise _SchemaError(place + name, f"is {len(value)} characters; the limit is {limit}")
    return value


def _key(data: dict[str, Any], place: str) -> str:
    key = _text(data, "key", place, limit=40, required=True)
    if not KEY_RE.match(key):
        raise _SchemaError(
            place + "key",
            f"{key!r} must start with a lowercase letter and use only a-z, 0-9 and _",
        )
    return key


def _unknown_fields(data: dict[str, Any], allowed: set[str], place: str) -> None:
    # Catches typos such as "promt" that would otherwise silently drop a field.
    extra = sorted(str(k) for k in data if k not in allowed)
    if extra:
        raise _SchemaError(
            place + extra[0], f"unknown field (allowed: {', '.join(sorted(allowed))})"
        )


def _parse_question(data: Any, place: str) -> Question:
    if not isinstance(data, dict):
        raise _SchemaError(place.rstrip("."), "must be a mapping with key, prompt, help, kind")
    _unknown_fields(data, _QUESTION_FIELDS, place)
    key = _key(data, place)
    prompt = _text(data, "prompt", place, limit=MAX_PROMPT, required=True)
    help_text = _text(data, "help", place, limit=MAX_HELP, required=False)
    raw_kind = data.get("kind", QuestionKind.TEXT.value)
    try:
        kind = QuestionKind(raw_kind)
    except ValueError:
        choices = ", ".join(k.value for k in QuestionKind)
        raise _SchemaError(
            place + "kind", f"unknown question kind {raw_kind!r} (use one of: {choices})"
        ) from None
    return Question(key=key, prompt=prompt, help=help_text, kind=kind)


def parse_template(data: Any) -> Template:
    """Build a Template from one parsed YAML entry; raise ValueError naming the bad field."""
    try:
        return _parse_template(data)
    except _SchemaError as exc:
        raise ValueError(str(exc)) from None


def _parse_template(data: Any) -> Template:
    if not isinstance(data, dict):
        raise _SchemaError("top level", "must be a mapping with key, name, description, questions")
    _unknown_fields(data, _TEMPLATE_FIELDS, "")
    key = _key(data, "")
    name = _text(data, "name", "", limit=MAX_NAME, required=True)
    description = _text(data, "description", "", limit=500, required=False)
    if "questions" not in data:
        raise _SchemaError("questions", "is missing")
    raw_questions = data["questions"]
    if not isinstance(raw_questions, list):
        raise _SchemaError("questions", "must be a list of questions")
    if not raw_questions:
        raise _SchemaError("questions", "is empty; a template needs at least one question")
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_questions):
        q = _parse_question(raw, f"questions[{i}].")
        if q.key in seen:
            raise _SchemaError(
                f"questions[{i}].key", f"duplicate key {q.key!r} (also questions[{seen[q.key]}])"
            )
        seen[q.key] = i
        questions.append(q)
    return Template(key=key, name=name, description=description, questions=tuple(questions))


@cache
def _builtin() -> tuple[Template, ...]:
    text = resources.files("flows").joinpath("data/templates.yml").read_text(encoding="utf-8")
    # A broken built-in file is a bug in this package, so it is allowed to raise.
    return tuple(parse_template(entry) for entry in yaml.safe_load(text)["templates"])


def builtin_templates() -> dict[str, Template]:
    """Return the built-in templates by key, in file order."""
    return {t.key: t for t in _builtin()}


def _load_file(path: Path) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _SchemaError("file", f"cannot be read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise _SchemaError(place, f"YAML syntax error: {problem}") from None
    if data is None:
        raise _SchemaError("file", "is empty")
    return _parse_template(data)


def load_templates(folder: Path | None) -> TemplateCatalog:
    """Return built-ins plus the team templates in folder; broken files become errors."""
    catalog = TemplateCatalog(templates=builtin_templates())
    if folder is None:
        return catalog
    folder = Path(folder)
    if not folder.is_dir():
        catalog.errors.append(f"template folder {folder} does not exist")
        return catalog
    paths = sorted(p for p in folder.iterdir() if p.suffix in {".yml", ".yaml"} and p.is_file())
    defined_in: dict[str, str] = {}
    for path in paths:
        try:
            template = _load_file(path)
        except _SchemaError as exc:
            catalog.errors.append(f"{path.name}: {exc.place}: {exc.problem}")
            continue
        if template.key in defined_in:
            catalog.errors.append(
                f"{path.name}: key: template {template.key!r} is already defined in "
                f"{defined_in[template.key]}; this file was skipped"
            )
            continue
        defined_in[template.key] = path.name
        catalog.templates[template.key] = template
    return catalog
