"""A local stand-in for Slack: Web API server, signed request bodies, Block Kit checks."""

from bot.standin.payloads import (
    app_home_opened_event,
    block_actions,
    checkboxes_value,
    conversations_value,
    date_value,
    event_callback,
    message_changed_event,
    message_deleted_event,
    message_event,
    message_shortcut,
    new_trigger_id,
    option_value,
    shortcut,
    slash_command,
    text_value,
    url_verification,
    user_value,
    users_value,
    view_submission,
)
from bot.standin.server import SlackStandIn
from bot.standin.signing import sign_request
from bot.standin.state import Call, Violation

__all__ = [
    "Call",
    "SlackStandIn",
    "Violation",
    "app_home_opened_event",
    "block_actions",
    "checkboxes_value",
    "conversations_value",
    "date_value",
    "event_callback",
    "message_changed_event",
    "message_deleted_event",
    "message_event",
    "message_shortcut",
    "new_trigger_id",
    "option_value",
    "shortcut",
    "sign_request",
    "slash_command",
    "text_value",
    "url_verification",
    "user_value",
    "users_value",
    "view_submission",
]
