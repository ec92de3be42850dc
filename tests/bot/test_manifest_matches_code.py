"""manifest.yml declares exactly the command, shortcuts and events the code listens for."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.slack.ids import COMMAND, Shortcut

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
# Slack subscribes to message events per conversation type; Bolt sees them all as "message".
EVENT_NAMES = {"message.channels": "message", "message.groups": "message"}


def test_the_slash_command_matches() -> None:
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == [COMMAND]


def test_the_shortcut_callback_ids_match() -> None:
    declared = {s["callback_id"] for s in MANIFEST["features"]["shortcuts"]}
    assert declared == {s.value for s in Shortcut}
    for shortcut in MANIFEST["features"]["shortcuts"]:
        assert len(shortcut["name"]) <= 24  # Slack's limit


def test_every_declared_event_has_a_listener_and_no_listener_is_undeclared() -> None:
    declared = {
        EVENT_NAMES.get(e, e) for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    }
    source = (ROOT / "bot/slack/listeners/events/__init__.py").read_text()
    listened = set(re.findall(r'app\.event\("([a-z_]+)"\)', source))
    listened |= set(re.findall(r'^\s+"([a-z_]+)": on_', source, flags=re.M))  # routed by type
    assert declared == listened
