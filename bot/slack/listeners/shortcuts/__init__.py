"""Shortcut listeners."""

from slack_bolt import App

from bot.slack.ids import Shortcut
from bot.slack.listeners.session import attach
from bot.slack.listeners.shortcuts.start import start_anywhere, start_from_message


def register(app: App) -> None:
    """Attach the shortcut listeners."""
    attach(app.shortcut(Shortcut.START), start_anywhere)
    attach(app.shortcut(Shortcut.START_FROM_MESSAGE), start_from_message)
