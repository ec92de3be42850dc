"""Score how specific an action is, and hint at what would make a vague one checkable.

Word lists and patterns live in flows/data/specificity.yml; this module only applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

import yaml

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_FIRST_WORD_RE = re.compile(r"[a-z][a-z'-]*")
CHECKS = ("owner", "review_date", "measurable", "concrete_verb")
# Below this many points an action is unlikely to be followed up, whatever its wording.
MIN_SPECIFIC_SCORE = 3


@dataclass(frozen=True)
class Specificity:
    """How checkable an action is: a 0..4 score, the checks behind it and hints to improve it."""

    score: int
    checks: dict[str, bool] = field(hash=False)
    is_vague: bool
    hints: list[str] = field(hash=False)


@dataclass(frozen=True)
class _Rules:
    lead_in: re.Pattern[str]
    concrete_verbs: re.Pattern[str]
    vague_verbs: frozenset[str]
    vague_phrases: re.Pattern[str]
    measurable: re.Pattern[str]
    hints: dict[str, str]


def _alternation(phrases: list[str]) -> str:
    # Longest first, so "set up" wins over "set" and "roll back" over "roll".
    return "|".join(sorted(phrases, key=len, reverse=True))


@cache
def _rules() -> _Rules:
    text = resources.files("flows").joinpath("data/specificity.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    verbs = [r"\s+".join(re.escape(w) for w in str(v).split()) for v in data["concrete_verbs"]]
    return _Rules(
        lead_in=re.compile(data["lead_in"], re.IGNORECASE),
        concrete_verbs=re.compile(rf"(?:{_alternation(verbs)})(?![\w-])", re.IGNORECASE),
        vague_verbs=frozenset(str(v).lower() for v in data["vague_verbs"]),
        vague_phrases=re.compile(
            r"(?<![\w-])(?:" + "|".join(f"(?:{p})" for p in data["vague_phrases"]) + r")(?![\w-])",
            re.IGNORECASE,
        ),
        measurable=re.compile("|".join(f"(?:{p})" for p in data["measurable"]), re.IGNORECASE),
        hints={str(k): str(v) for k, v in data["hints"].items()},
    )


def _strip_lead_in(what: str, rules: _Rules) -> str:
    return rules.lead_in.sub("", what.translate(_APOSTROPHES).strip(), count=1).lstrip()


def is_measurable(success_criterion: str) -> bool:
    """Return True if the criterion names a number, a time bound or an observable check."""
    return bool(_rules().measurable.search(success_criterion.translate(_APOSTROPHES)))


def vague_phrase(what: str) -> str | None:
    """Return the vague phrase in an action's wording ("be more careful"), or None."""
    found = _rules().vague_phrases.search(what.translate(_APOSTROPHES))
    return found.group(0) if found else None


def score_action(
    *, what: str, success_criterion: str, owner_is_person: bool, review_date: date | None
) -> Specificity:
    """Score an action 0..4 for owner, review date, measurable criterion and concrete verb."""
    rules = _rules()
    action = _strip_lead_in(what, rules)
    checks = {
        "owner": bool(owner_is_person),
        "review_date": review_date is not None,
        "measurable": is_measurable(success_criterion),
        "concrete_verb": bool(rules.concrete_verbs.match(action)),
    }
    score = sum(checks.values())
    phrase = vague_phrase(what)

    hints: list[str] = []
    if phrase is not None:
        hints.append(rules.hints["vague_phrase"].format(phrase=phrase))
    if not checks["concrete_verb"]:
        first = _FIRST_WORD_RE.match(action.lower())
        if first and first.group(0) in rules.vague_verbs and phrase is None:
            verb = action[: first.end()].capitalize()
            hints.append(rules.hints["vague_verb"].format(verb=verb))
        elif phrase is None:
            hints.append(rules.hints["concrete_verb"])
    hints.extend(
        rules.hints[name] for name in ("measurable", "owner", "review_date") if not checks[name]
    )

    return Specificity(
        score=score,
        checks=checks,
        is_vague=phrase is not None or score < MIN_SPECIFIC_SCORE,
        hints=hints,
    )
