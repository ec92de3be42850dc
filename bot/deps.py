"""What every listener and job needs, built once per process from Settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from bot.settings import Settings
from storage.types import utcnow


@dataclass(frozen=True)
class Deps:
    """The settings, the database engine and the clock (tests replace the clock)."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = field(default=utcnow)
