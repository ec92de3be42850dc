"""A local stand-in for Slack: Web API server, signed request bodies, Block Kit checks.

Request bodies Slack would send are built with `bot.standin.payloads`.
"""

from bot.standin import payloads
from bot.standin.server import SlackStandIn
from bot.standin.signing import sign_request
from bot.standin.state import Call, Violation

__all__ = ["Call", "SlackStandIn", "Violation", "payloads", "sign_request"]
