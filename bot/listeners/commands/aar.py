"""`/aar`: start a review, or one of its subcommands."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.blocks.help import help_blocks, help_text
from bot.blocks.modals import metadata, start_modal
from bot.blocks.review import list_message
from bot.blocks.search import search_results, search_usage
from bot.deps import Deps
from bot.listeners.commands.parse import parse
from bot.listeners.session import with_session
from storage import reviews as store
from storage.search import search_reviews


@with_session
def handle_aar(
    ack: Ack, command: dict, client: WebClient, context: BoltContext, session: Session, deps: Deps
) -> None:
    """Route `/aar …` to its subcommand; anything unknown gets the usage."""
    parsed = parse(command.get("text", ""))
    if parsed.name == "start":
        ack()
        meta = metadata(channel=command["channel_id"], response_url=command.get("response_url"))
        view = start_modal(templates=deps.templates.templates, meta=meta, title=parsed.arg)
        client.views_open(trigger_id=command["trigger_id"], view=view)
    elif parsed.name == "list":
        reviews = store.open_reviews(
            session=session, team_id=context.team_id or "", channel_id=command["channel_id"]
        )
        blocks = list_message(reviews, deps.templates.templates)
        ack(text="Open reviews in this channel", blocks=blocks, response_type="ephemeral")
    elif parsed.name == "search":
        if not parsed.arg.strip():
            text, blocks = search_usage()
        else:
            hits = search_reviews(
                session=session,
                team_id=context.team_id or "",
                query=parsed.arg,
                viewer_id=command["user_id"],
                is_lead=command["user_id"] in deps.settings.leads,
            )
            text, blocks = search_results(parsed.arg, hits)
        ack(text=text, blocks=blocks, response_type="ephemeral")
    else:
        unknown = parsed.arg if parsed.name == "unknown" else None
        ack(text=help_text(), blocks=help_blocks(unknown=unknown), response_type="ephemeral")
