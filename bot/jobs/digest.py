"""The weekly digest: each channel with open actions hears what is due, overdue and done."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.runtime.deps import Deps
from bot.slack.blocks.nudges import review_link
from bot.slack.blocks.text import clip, escape
from bot.slack.clients import TeamClients, as_team_clients
from storage import digests as store
from storage.db import session_scope
from storage.digests import ChannelActions
from storage.models import Action, Review

log = logging.getLogger("aarbot.digest")

SECTION_LIMIT = 3000
# A replica whose cron fires a little later must not post a second digest the same week.
MIN_GAP = timedelta(days=6)
FIRST_LOOKBACK = timedelta(days=7)


def send_weekly_digest(*, deps: Deps, client: WebClient | TeamClients, now: datetime) -> int:
    """Post one digest per channel with open actions, with its team's client; return how many."""
    clients = as_team_clients(client)
    with session_scope(deps.engine) as session:
        channels = store.channels_with_open_actions(session=session)
    posted = 0
    for team_id, channel_id in channels:
        try:
            posted += _one_channel(deps, clients.for_team(team_id), team_id, channel_id, now)
        except (SlackClientError, OSError) as err:
            # One archived, uninstalled or unreachable channel (or a timeout) must not cost
            # every other channel its digest.
            log.error("digest for %s not posted: %s", channel_id, _describe(err))
    return posted


def _describe(err: Exception) -> str:
    if isinstance(err, SlackApiError):
        return str(err.response.get("error"))
    return f"{type(err).__name__}: {err}"


def _one_channel(deps: Deps, client: WebClient, team_id: str, channel_id: str, now: datetime):
    today = now.date()
    week_end = today + timedelta(days=6 - today.weekday())
    # The week is marked (compare-and-set) and committed before the post, so no transaction
    # waits on Slack (on SQLite that would hold every writer's lock), a second replica sees
    # the mark at once, and nothing can undo a digest that did go out. A failed post gives
    # the week back.
    with session_scope(deps.engine) as session:
        previous = store.last_digest_at(session=session, team_id=team_id, channel_id=channel_id)
        if previous is not None and previous > now - MIN_GAP:
            return 0
        if not store.mark_digest_sent(
            session=session, team_id=team_id, channel_id=channel_id, previous=previous, now=now
        ):
            return 0
        since = previous or now - FIRST_LOOKBACK
        content = store.channel_actions(
            session=session,
            team_id=team_id,
            channel_id=channel_id,
            today=today,
            week_end=week_end,
            done_since=since,
        )
        if content.empty:
            return 0
        text, blocks = digest_message(content, since=since)
    try:
        client.chat_postMessage(channel=channel_id, text=text, blocks=blocks)
    except Exception:
        with session_scope(deps.engine) as session:
            store.unmark_digest_sent(
                session=session,
                team_id=team_id,
                channel_id=channel_id,
                sent_at=now,
                previous=previous,
            )
        raise
    return 1


def digest_message(content: ChannelActions, *, since: datetime) -> tuple[str, list[Block]]:
    """The digest: due this week, overdue, done since the last one (user text escaped)."""
    blocks: list[Block] = [HeaderBlock(text="Follow-through this week")]
    parts = [
        ("📅 *Due this week*", content.due_this_week),
        ("⌛ *Overdue*", content.overdue),
        (f"✅ *Done since {since:%a %-d %b}*", content.done),
    ]
    for title, rows in parts:
        if rows:
            lines = "\n".join(_line(action, review) for action, review in rows)
            blocks.append(_section(f"{title}\n{lines}"))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Owners get their own DMs.")]))
    counts = (len(content.due_this_week), len(content.overdue), len(content.done))
    text = "Follow-through this week: {} due, {} overdue, {} done".format(*counts)
    return text, blocks


def _line(action: Action, review: Review) -> str:
    return (
        f"• {escape(action.what)} · <@{action.owner_id}> · "
        f"{action.review_date:%a %-d %b} · {review_link(review)}"
    )


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)))
