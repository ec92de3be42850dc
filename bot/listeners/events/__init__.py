"""Events API listeners."""

from slack_bolt import App

from bot.listeners.events.home import on_home_opened
from bot.listeners.events.membership import on_member_joined
from bot.listeners.events.messages import on_message
from bot.listeners.events.uninstall import on_tokens_revoked, on_uninstalled


def register(app: App) -> None:
    """Attach the event listeners."""
    app.event("message")(on_message)
    app.event("member_joined_channel")(on_member_joined)
    app.event("app_home_opened")(on_home_opened)
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
