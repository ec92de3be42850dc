"""oauth.v2.access: the last step of an install, answered as Slack answers it for a bot."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from bot.standin.state import APP_ID, WorkspaceState


def _client_credentials(args: dict[str, Any], authorization: str | None) -> tuple[str, str]:
    # slack_sdk sends them as HTTP Basic auth; Slack also takes them as arguments.
    if authorization and authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization.removeprefix("Basic ").strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return str(args.get("client_id") or ""), str(args.get("client_secret") or "")


def oauth_v2_access(
    state: WorkspaceState, args: dict[str, Any], authorization: str | None
) -> tuple[dict[str, Any], str | None]:
    """The response body, and the team installed (None when the exchange failed)."""
    client_id, secret = _client_credentials(args, authorization)
    if state.oauth_app is None or client_id != state.oauth_app[0]:
        return {"ok": False, "error": "invalid_client_id"}, None
    if secret != state.oauth_app[1]:
        return {"ok": False, "error": "bad_client_secret"}, None
    # A code works once, as Slack's do.
    team_id = state.install_codes.pop(str(args.get("code") or ""), None)
    if team_id is None:
        return {"ok": False, "error": "invalid_code"}, None
    team = state.teams[team_id]
    body = {
        "ok": True,
        "app_id": APP_ID,
        "authed_user": {"id": team.installer_id},
        "scope": ",".join(state.scopes),
        "token_type": "bot",
        "access_token": team.bot_token,
        "bot_user_id": team.bot_user_id,
        "team": {"id": team.id, "name": team.name},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    return body, team_id
