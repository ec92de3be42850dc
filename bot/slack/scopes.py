"""What installing aarbot asks of Slack: the bot scopes and the routes of the OAuth flow.

Runtime (bot/slack/install.py), settings and diagnostics (bot/cli/doctor.py) all read them
from here.
"""

from __future__ import annotations

# The bot scopes manifest.yml declares (an installed package has no manifest.yml to read);
# tests/bot/test_doctor.py keeps the two in step.
REQUIRED_SCOPES = frozenset(
    {
        "channels:history",
        "channels:join",
        "channels:read",
        "chat:write",
        "commands",
        "groups:history",
        "groups:read",
        "im:history",
        "im:write",
        "users:read",
    }
)
# Multi-workspace mode: the install page, and where Slack sends the browser back to.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
