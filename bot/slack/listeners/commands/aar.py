"""`/aar`: start a review, or one of its subcommands."""

from __future__ import annotations

import functools

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.publish.home import home_content
from bot.runtime.deps import Deps
from bot.slack.blocks.help import help_blocks, help_text
from bot.slack.blocks.home import actions_message
from bot.slack.blocks.modals import metadata, start_modal
from bot.slack.blocks.review import list_message
from bot.slack.blocks.search import search_results, search_usage
from bot.slack.listeners.commands.parse import parse
from bot.slack.listeners.commands.stats import answer_stats
from bot.slack.listeners.session import Later, opens_modal, with_session
from storage import reviews as store
from storage.search import search_reviews


@with_session
def handle_aar(
    ack: Ack,
    command: dict,
    context: BoltContext,
    later: Later,
) -> None:
    """Route `/aar …` to its subcommand. Help and usage are the ack itself; whatever needs
    Slack or the database comes after the ack, ephemerally through the response_url."""
    parsed = parse(command.get("text", ""))
    team_id = context.team_id or ""
    if parsed.name == "start":
        ack()  # the modal opens straight after the ack (`open_start_modal`)
    elif parsed.name == "list":
        ack()
        later(show_list, team_id=team_id, channel_id=command["channel_id"])
    elif parsed.name == "actions":
        ack()
        later(show_actions, team_id=team_id, user_id=command["user_id"])
    elif parsed.name == "search" and not parsed.arg.strip():
        text, blocks = search_usage()
        ack(text=text, blocks=blocks, response_type="ephemeral")
    elif parsed.name == "search":
        ack()
        later(show_hits, team_id=team_id, user_id=command["user_id"], query=parsed.arg)
    elif parsed.name == "stats":
        answer_stats(ack=ack, command=command, context=context, later=later, arg=parsed.arg)
    else:
        unknown = parsed.arg if parsed.name == "unknown" else None
        blocks = help_blocks(unknown=unknown) if unknown else _help_dicts()
        ack(text=help_text(), blocks=blocks, response_type="ephemeral")


@opens_modal
def open_start_modal(command: dict, client: WebClient, deps: Deps) -> None:
    """`/aar` or `/aar <title>`: the start modal, straight after the ack, in this process
    (its trigger id lasts 3 s)."""
    parsed = parse(command.get("text", ""))
    if parsed.name != "start":
        return
    meta = metadata(channel=command["channel_id"], response_url=command.get("response_url"))
    view = start_modal(templates=deps.templates.templates, meta=meta, title=parsed.arg)
    client.views_open(trigger_id=command["trigger_id"], view=view)


# After the ack, as jobs: each answers through the command's response_url.


def show_list(
    *, session: Session, deps: Deps, respond: Respond, team_id: str, channel_id: str
) -> None:
    """The channel's open reviews."""
    reviews = store.open_reviews(session=session, team_id=team_id, channel_id=channel_id)
    blocks = list_message(reviews, deps.templates.templates)
    respond(text="Open reviews in this channel", blocks=blocks, response_type="ephemeral")


def show_actions(
    *, session: Session, deps: Deps, respond: Respond, team_id: str, user_id: str
) -> None:
    """The person's open actions, with the nudge's buttons."""
    content = home_content(session, deps, team_id=team_id, user_id=user_id, with_stats=False)
    text, blocks = actions_message(content)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def show_hits(
    *, session: Session, deps: Deps, respond: Respond, team_id: str, user_id: str, query: str
) -> None:
    """Past lessons matching the query, as far as the person may see them."""
    hits = search_reviews(
        session=session,
        team_id=team_id,
        query=query,
        viewer_id=user_id,
        is_lead=user_id in deps.settings.leads,
    )
    text, blocks = search_results(query, hits)
    respond(text=text, blocks=blocks, response_type="ephemeral")


@functools.cache
def _help_dicts() -> list[dict]:
    # The plain help never changes: rendered (and checked by slack_sdk) once, not every ack.
    return [block.to_dict() for block in help_blocks()]
