"""Shortcut listeners."""

from slack_bolt import App

from bot.ids import Shortcut
from bot.listeners.session import attach
from bot.listeners.shortcuts.start import start_anywhere, start_from_message


def register(app: App) -> None:
    """Attach the shortcut listeners."""
    attach(app.shortcut(Shortcut.START), start_anywhere)
    attach(app.shortcut(Shortcut.START_FROM_MESSAGE), start_from_message)
