"""How Slack describes a user (users.info) and a channel (conversations.info)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.standin.state import BOT_USER_ID, Channel, User

_CREATED = 1_690_000_000


def user_info(user: User) -> dict[str, Any]:
    """The `user` object of users.info, with tz fields computed for now."""
    now = datetime.now(UTC).astimezone(ZoneInfo(user.tz))
    offset = now.utcoffset()
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "team": user.team,
    }
    if user.bot_id:
        profile["bot_id"] = user.bot_id
    return {
        "id": user.id,
        "team_id": user.team,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        # Slack gives a long name ("Central European Summer Time"); zoneinfo only knows
        # the abbreviation, which is close enough for a label.
        "tz_label": now.tzname() or user.tz,
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": _CREATED,
    }


def channel_info(channel: Channel) -> dict[str, Any]:
    """The `channel` object of conversations.info as the bot sees it."""
    if channel.im_user is not None:
        return {
            "id": channel.id,
            "created": _CREATED,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.im_user,
            "is_user_deleted": False,
            "priority": 0,
        }
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "is_archived": False,
        "is_general": channel.id == "C0GENERAL",
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_member": BOT_USER_ID in channel.members,
        "created": _CREATED,
        "creator": "U0ALICE",
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }
