"""Reads what follows `/aar`: a subcommand with its argument, or a review title."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

SUBCOMMANDS = ("help", "list", "actions", "search", "stats")


@dataclass(frozen=True)
class Parsed:
    """`name` is a subcommand, "start" (with the title in `arg`) or "unknown"."""

    name: str
    arg: str = ""


def parse(text: str) -> Parsed:
    """Split the command text; a word close to a subcommand, or a flag, is "unknown"."""
    text = " ".join(text.split())
    if not text:
        return Parsed("start")
    first, _, rest = text.partition(" ")
    word = first.lower()
    if word in SUBCOMMANDS:
        return Parsed(word, rest)
    if word in {"?", "-h", "--help", "usage"}:
        return Parsed("help")
    # "/aar serach foo" or "/aar --list" is a mistyped subcommand, not a review title.
    if word.startswith("-") or (not rest and difflib.get_close_matches(word, SUBCOMMANDS, 1, 0.75)):
        return Parsed("unknown", text)
    return Parsed("start", text)
