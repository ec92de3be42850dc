"""Every setting the code reads is documented in .env.example and the README's table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _read_by_code() -> set[str]:
    source = (ROOT / "bot/runtime/settings.py").read_text()
    names = set(re.findall(r'(?:text|_int|_bool)\(\s*(?:env,\s*)?"([A-Z][A-Z0-9_]+)"', source))
    return names - {"AARBOT_TEST_"}


def test_every_setting_is_in_env_example() -> None:
    example = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert _read_by_code() - example == set()
    assert len(_read_by_code()) >= 20


def test_every_setting_is_in_the_readme_table() -> None:
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(), re.M))
    assert _read_by_code() - table == set()
