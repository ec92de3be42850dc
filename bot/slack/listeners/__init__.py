"""Registers every listener: one line per listener, grouped by kind."""

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, shortcuts, views


def register_listeners(app: App) -> None:
    """Attach all listeners to the app."""
    # Bolt tries listeners in this order: the most frequent requests first.
    events.register(app)
    actions.register(app)
    views.register(app)
    commands.register(app)
    shortcuts.register(app)
