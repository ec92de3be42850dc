"""Every Slack id the bot uses (commands, callback_ids, action_ids, block_ids), in one place.

manifest.yml declares the command and the shortcut callback ids; keep the two in step.
"""

from enum import StrEnum

COMMAND = "/aar"


class Shortcut(StrEnum):
    """callback_id of the global and message shortcuts (manifest.yml)."""

    START = "aar_start"
    START_FROM_MESSAGE = "aar_start_from_message"
