"""The dependency direction bot -> flows -> storage, checked on the source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "flows": {"slack_bolt", "slack_sdk", "bot"},
    "storage": {"slack_bolt", "slack_sdk", "bot", "flows"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_upper_ones(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no source found in {package}/"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package]) for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# Rooms inside bot/ (see each folder's docstring): what each may never import.
ROOM_RULES = {
    "bot/slack/blocks": {
        "bot.slack.listeners",
        "bot.publish",
        "bot.jobs",
        "bot.runtime",
        "bot.cli",
        "bot.standin",
    },
    "bot/publish": {"bot.slack.listeners", "bot.jobs", "bot.cli", "bot.standin"},
    "bot/jobs": {"bot.slack.listeners", "bot.cli", "bot.standin"},
    "bot/slack": {"bot.cli", "bot.standin"},
    "bot/runtime": {"bot.cli", "bot.standin"},
    "bot/standin": {"bot.cli"},
}


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


@pytest.mark.parametrize("room", sorted(ROOM_RULES))
def test_each_room_of_bot_imports_only_what_its_docstring_allows(room: str) -> None:
    files = sorted((ROOT / room).rglob("*.py"))
    assert files, f"no source found in {room}/"
    offenders = {}
    for path in files:
        bad = sorted(
            module
            for module in _modules(path)
            for banned in ROOM_RULES[room]
            if module == banned or module.startswith(banned + ".")
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_bot_has_no_modules_outside_its_rooms() -> None:
    loose = sorted(p.name for p in (ROOT / "bot").glob("*.py") if p.name != "__init__.py")
    assert loose == []


def test_every_room_says_what_it_holds() -> None:
    for room in ("slack", "publish", "jobs", "runtime", "cli", "standin"):
        doc = ast.get_docstring(ast.parse((ROOT / "bot" / room / "__init__.py").read_text()))
        assert doc, f"bot/{room}/__init__.py has no docstring"
        if room != "standin":
            assert "import" in doc, f"bot/{room}/ does not say what it may import"


def test_no_private_attribute_of_bolt_slack_sdk_or_the_server_is_used() -> None:
    private = re.compile(r"\b(?:app|listener|App|client|server|arbiter|worker)\._[a-z]\w*")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if private.search(line) and "self._" not in line
    ]
    assert offenders == []
