"""`/aar stats [days]`: the channel's and the workspace's figures, as the person may see them."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond
from sqlmodel import Session

from bot.runtime.deps import Deps
from bot.slack.blocks.stats import stats_message, stats_usage
from bot.slack.listeners.session import Later
from flows.stats import parse_days, scope_figures


def answer_stats(*, ack: Ack, command: dict, context: BoltContext, later: Later, arg: str) -> None:
    """A bad `days` gets the usage as the ack; else ack, count after it, answer ephemerally."""
    days = parse_days(arg)
    if days is None:
        text, blocks = stats_usage()
        ack(text=text, blocks=blocks, response_type="ephemeral")
        return
    ack()
    later(
        count,
        team_id=context.team_id or command.get("team_id", ""),
        user_id=command["user_id"],
        channel_id=command["channel_id"],
        days=days,
    )


def count(
    *,
    session: Session,
    deps: Deps,
    respond: Respond,
    team_id: str,
    user_id: str,
    channel_id: str,
    days: int,
) -> None:
    """After the ack: count what the person may see, and answer ephemerally."""
    is_lead = user_id in deps.settings.leads
    scope = {
        "session": session,
        "team_id": team_id,
        "viewer_id": user_id,
        "is_lead": is_lead,
        "now": deps.clock(),
        "days": days,
        "fallback_tz": deps.settings.default_tz,
    }
    text, blocks = stats_message(
        days=days,
        channel_id=channel_id,
        # A DM with the app has no reviews of its own: the workspace is the answer.
        channel=None
        if channel_id.startswith("D")
        else scope_figures(**scope, channel_id=channel_id),
        workspace=scope_figures(**scope),
        is_lead=is_lead,
        template_names={key: t.name for key, t in deps.templates.templates.items()},
    )
    respond(text=text, blocks=blocks, response_type="ephemeral")
