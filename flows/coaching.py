"""Blame-free coaching: spot answers that judge a person and suggest a curious reframe.

Every word list and pattern lives in flows/data/blame.yml; this module only compiles and
applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

# Slack and phones turn ' into typographic quotes; each is one character, so offsets survive.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class BlameFinding:
    """A phrase that judges a person, with a reframe to offer its author."""

    phrase: str
    category: str
    suggestion: str


@dataclass(frozen=True)
class _Rule:
    category: str
    regex: re.Pattern[str]
    negatable: bool
    subject_check: bool


@dataclass(frozen=True)
class _Lexicon:
    rules: tuple[_Rule, ...]
    suggestions: dict[str, str]
    clause_break: re.Pattern[str]
    negators: frozenset[str]
    not_a_person: frozenset[str]
    person_words: frozenset[str]
    system_words: frozenset[str]
    subject_window: int
    negation_window: int


def _words(raw: Any) -> frozenset[str]:
    return frozenset(str(w).lower() for w in raw)


@cache
def _lexicon() -> _Lexicon:
    text = resources.files("flows").joinpath("data/blame.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    suggestions = {str(k): " ".join(str(v).split()) for k, v in data["suggestions"].items()}
    rules = []
    for raw in data["rules"]:
        if raw["category"] not in suggestions:
            raise ValueError(f"blame.yml: rule category {raw['category']!r} has no suggestion")
        # "-" counts as a word character so compounds like "lazy-loaded" stay technical.
        pattern = rf"(?<![\w-])(?:{raw['pattern']})(?![\w-])"
        rules.append(
            _Rule(
                category=raw["category"],
                regex=re.compile(pattern, re.IGNORECASE),
                negatable=bool(raw.get("negatable", True)),
                subject_check=bool(raw.get("subject_check", True)),
            )
        )
    return _Lexicon(
        rules=tuple(rules),
        suggestions=suggestions,
        clause_break=re.compile(data["clause_break"], re.IGNORECASE),
        negators=_words(data["negators"]),
        not_a_person=_words(data["not_a_person"]),
        person_words=_words(data["person_words"]),
        system_words=_words(data["system_words"]),
        subject_window=int(data["subject_window"]),
        negation_window=int(data["negation_window"]),
    )


def _is(word: str, vocabulary: frozenset[str]) -> bool:
    word = word.lower().removesuffix("'s")
    # Plurals ("scripts", "dashboards") are the same subject as the singular.
    if word in vocabulary:
        return True
    # Short words are never plurals worth stripping ("is" is not the plural of "i").
    return len(word) > 3 and word.endswith("s") and word[:-1] in vocabulary


def _clause_before(text: str, start: int, lex: _Lexicon) -> list[str]:
    prefix = text[:start]
    breaks = list(lex.clause_break.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    return _WORD_RE.findall(prefix)


def _negated(words: list[str], lex: _Lexicon) -> bool:
    recent = words[-lex.negation_window :] if lex.negation_window else []
    return any(w.lower() in lex.negators or w.lower().endswith("n't") for w in recent)


def _subject_is_system(words: list[str], lex: _Lexicon) -> bool:
    # Reading backwards, the nearest subject-like word wins: "the script was careless" is about
    # the script, "when the deploy broke Sam was careless" is about Sam.
    for word in reversed(words[-lex.subject_window :]):
        if _is(word, lex.system_words):
            return True
        if _is(word, lex.person_words) or (word[0].isupper() and word[1:].islower()):
            return False
    return False


def _next_word(text: str, end: int) -> str:
    found = _WORD_RE.search(text, end)
    if found is None or text[end : found.start()].strip():
        return ""
    return found.group(0)


def _is_blame(text: str, match: re.Match[str], rule: _Rule, lex: _Lexicon) -> bool:
    words = _clause_before(text, match.start(), lex)
    if rule.negatable and _negated(words, lex):
        return False
    if not rule.subject_check:
        return True
    # "sloppy thresholds", "Dana's fault tolerance work": the words describe what follows them.
    following = _next_word(text, match.end())
    if following and _is(following, lex.system_words):
        return False
    who = match.groupdict().get("who")
    if who is not None:
        return not (_is(who, lex.not_a_person) or _is(who, lex.system_words))
    return not _subject_is_system(words, lex)


def find_blame(text: str) -> BlameFinding | None:
    """Return the first phrase in text that judges a person, or None."""
    if not text:
        return None
    lex = _lexicon()
    normal = text.translate(_APOSTROPHES)
    best: tuple[int, re.Match[str], _Rule] | None = None
    for rule in lex.rules:
        for match in rule.regex.finditer(normal):
            if best is not None and match.start() >= best[0]:
                break
            if _is_blame(normal, match, rule, lex):
                best = (match.start(), match, rule)
                break
    if best is None:
        return None
    _, match, rule = best
    return BlameFinding(
        phrase=text[match.start() : match.end()],
        category=rule.category,
        suggestion=lex.suggestions[rule.category],
    )
