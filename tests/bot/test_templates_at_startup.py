"""Team templates are loaded at start-up; a broken file is reported and the rest keep working."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.runtime.deps import Deps
from bot.runtime.settings import Settings

TEAM = """\
key: lost_deal
name: Lost deal review
questions:
  - key: expected
    prompt: What did we expect the customer to do?
  - key: root_cause
    prompt: Why did the deal slip?
    kind: gap_type
  - key: actions
    prompt: What will we change?
    kind: actions
"""


def test_team_templates_load_and_a_broken_one_is_logged(
    tmp_path: Path, settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "lost_deal.yml").write_text(TEAM)
    (tmp_path / "broken.yml").write_text("key: broken\nquestions: [\n")
    with caplog.at_level(logging.ERROR, logger="aarbot.templates"):
        deps = Deps.from_settings(settings.model_copy(update={"templates_dir": tmp_path}), engine)
    assert set(deps.templates.templates) == {"miss", "success", "postmortem", "lost_deal"}
    assert any("broken.yml" in r.getMessage() for r in caplog.records)
    assert deps.template("lost_deal").name == "Lost deal review"
    # A review whose team template has since been removed still renders, as a miss review.
    assert deps.template("gone").key == "miss"


def test_without_a_folder_only_the_built_ins(settings: Settings, engine: Engine) -> None:
    deps = Deps.from_settings(settings, engine)
    assert list(deps.templates.templates) == ["miss", "success", "postmortem"]
    assert deps.templates.errors == []
