"""What every listener and job needs, built once per process from Settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from bot.runtime.settings import Settings
from bot.slack.channels import ChannelCache
from flows.templates import Template, TemplateCatalog, builtin_templates, load_templates
from storage.types import utcnow

log = logging.getLogger("aarbot.templates")


def _builtin_catalog() -> TemplateCatalog:
    return load_templates(None)


@dataclass(frozen=True)
class Deps:
    """The settings, the database engine, the templates, the clock (tests replace it) and
    the process's cache of conversations.info."""

    settings: Settings
    engine: Engine
    templates: TemplateCatalog = field(default_factory=_builtin_catalog)
    clock: Callable[[], datetime] = field(default=utcnow)
    channels: ChannelCache = field(default_factory=ChannelCache, compare=False)

    def __deepcopy__(self, _memo: dict) -> Deps:
        # Bolt deep-copies a request's context for its lazy listeners; the process's shared
        # engine, caches and settings stay the same objects.
        return self

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> Deps:
        """Deps for a running process; a broken team template is logged, never fatal."""
        catalog = load_templates(settings.templates_dir) if settings.templates_dir else None
        for problem in catalog.errors if catalog else ():
            log.error("template not loaded: %s", problem)
        return cls(settings=settings, engine=engine, templates=catalog or _builtin_catalog())

    def template(self, key: str) -> Template:
        """The template a review was started from; a removed team template falls back to miss."""
        return self.templates.templates.get(key) or builtin_templates()["miss"]
