"""App Home is published when opened, with my open actions and my reviews."""

from __future__ import annotations

import json

from bot.standin import payloads
from bot.standin.driver import Bot
from tests.bot import reviewing as r


def test_home_shows_my_open_actions_and_reviews(bot: Bot) -> None:
    root = r.start(bot, "Outage of the search cluster", participants=("U0BOB",))
    r.add_action(bot, root, what="Write a runbook for search failover", owner="U0BOB")
    bot.event(payloads.app_home_opened_event("U0BOB"))
    home = bot.standin.home("U0BOB")
    assert home is not None
    shown = json.dumps(home["blocks"])
    assert "Write a runbook for search failover" in shown
    assert "Outage of the search cluster" in shown
    assert len(home["blocks"]) <= 100


def test_someone_with_nothing_gets_an_empty_but_friendly_home(bot: Bot) -> None:
    bot.event(payloads.app_home_opened_event("U0CAROL"))
    shown = json.dumps(bot.standin.home("U0CAROL")["blocks"])
    assert "Nothing open" in shown
    assert "Start one with" in shown
