"""Slash command listeners."""

from slack_bolt import App

from bot.slack.ids import COMMAND
from bot.slack.listeners.commands.aar import handle_aar, open_start_modal


def register(app: App) -> None:
    """Attach the slash command listeners."""
    app.command(COMMAND)(ack=handle_aar, lazy=[open_start_modal])
