"""Events API listeners."""

from slack_bolt import App

from bot.slack.listeners.events.home import on_home_opened
from bot.slack.listeners.events.membership import on_member_joined
from bot.slack.listeners.events.messages import on_message
from bot.slack.listeners.events.uninstall import on_tokens_revoked, on_uninstalled
from bot.slack.listeners.session import attach_by_id


def register(app: App) -> None:
    """Attach the event listeners: messages first (the most frequent), then the rest."""
    app.event("message")(on_message)
    attach_by_id(
        app.event,
        {
            "member_joined_channel": on_member_joined,
            "app_home_opened": on_home_opened,
            "app_uninstalled": on_uninstalled,
            "tokens_revoked": on_tokens_revoked,
        },
        lambda body: body["event"]["type"],
    )
