"""`/aar`: start a review, or one of its subcommands."""

from __future__ import annotations

from slack_bolt import Ack

from bot.blocks.help import help_blocks, help_text
from bot.listeners.commands.parse import parse


def handle_aar(ack: Ack, command: dict) -> None:
    """Route `/aar …` to its subcommand; anything unknown gets the usage."""
    parsed = parse(command.get("text", ""))
    unknown = parsed.arg if parsed.name == "unknown" else None
    ack(text=help_text(), blocks=help_blocks(unknown=unknown), response_type="ephemeral")
