"""What Slack's answers mean for a nudge being sent: whether to try again and when, whether
the person can get a DM at all, and what an earlier attempt may already have posted (the
DM's or thread's history, read by the nudge id in each message's metadata).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.nudges import carried_nudge_ids
from bot.slack.clients import REJECTED_TOKEN_ERRORS
from storage.models import Nudge

log = logging.getLogger("aarbot.sweep")

MAX_BACKOFF = timedelta(hours=1)
# Slack answers these with 200 and ok:false; asking again will not change the answer.
# The first three say the person can get no DM from the bot at all.
UNREACHABLE_PEOPLE = frozenset({"user_not_found", "cannot_dm_bot", "user_disabled"})
PERMANENT_ERRORS = UNREACHABLE_PEOPLE | {"is_archived"}
# How far back a retry looks in a DM (newest first) or a thread for an earlier post.
HISTORY_LIMIT = 100
THREAD_LIMIT = 1000
# Slack's answers that say the history cannot be read at all (e.g. a workspace installed
# before im:history was asked for): the nudge is then sent without looking.
UNREADABLE = frozenset(
    {"missing_scope", "not_in_channel", "channel_not_found", "thread_not_found", "not_allowed"}
)


def may_have_posted(nudge: Nudge) -> bool:
    return bool(nudge.channel_id) and not nudge.slack_ts


def unanswered(err: Exception) -> bool:
    """The post failed without Slack saying it was refused, so it may have landed."""
    if isinstance(err, SlackApiError):
        return err.response.status_code >= 500
    return isinstance(err, OSError)


def read_posted(client: WebClient, channel: str, thread_ts: str | None) -> dict[int, str]:
    try:
        if thread_ts:
            messages: list[dict[str, Any]] = []
            cursor = None
            for _page in range(10):
                page = client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=THREAD_LIMIT,
                    cursor=cursor,
                )
                messages += page.get("messages") or []
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        else:
            page = client.conversations_history(
                channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT
            )
            messages = page.get("messages") or []
    except SlackApiError as err:
        if err.response.get("error") not in UNREADABLE:
            raise
        log.warning(
            "cannot read %s to check for an earlier nudge post (%s); sending without looking",
            channel,
            describe(err),
        )
        return {}
    found: dict[int, str] = {}
    for message in messages:
        for nudge_id in carried_nudge_ids(message):
            found.setdefault(nudge_id, message["ts"])
    return found


def token_rejected(err: Exception) -> bool:
    return isinstance(err, SlackApiError) and err.response.get("error") in REJECTED_TOKEN_ERRORS


def unreachable(err: Exception) -> bool:
    """Slack says this person cannot get a DM from the bot at all (gone, deactivated, a bot)."""
    return isinstance(err, SlackApiError) and err.response.get("error") in UNREACHABLE_PEOPLE


def describe(err: Exception) -> str:
    if isinstance(err, SlackApiError):
        return str(err.response.get("error"))
    return f"{type(err).__name__}: {err}"


def dm_channel(client: WebClient, user_id: str, known: dict[str, str]) -> str:
    if user_id not in known:
        known[user_id] = client.conversations_open(users=user_id)["channel"]["id"]
    return known[user_id]


def failure(err: Exception, attempts: int) -> tuple[str, timedelta, bool]:
    """The error as kept in the database, when to try again, and whether it is hopeless."""
    if isinstance(err, SlackApiError):
        response = err.response
        code = response.get("error") or "unknown_error"
        error = f"{code} (HTTP {response.status_code})"
        wait = retry_after(response.headers)
        if wait is not None:
            return error, max(wait, timedelta(seconds=1)), False
        permanent = response.status_code == 200 and code in PERMANENT_ERRORS
        return error, backoff(attempts), permanent
    return f"{type(err).__name__}: {err}", backoff(attempts), False


def retry_after(headers) -> timedelta | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return timedelta(seconds=int(raw))
            except ValueError:
                return None
    return None


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the first, second, third failed attempt, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)
