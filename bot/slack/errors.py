"""The one error handler: a short apology with a reference id for the user, details in the log.

It tells someone only about a request that was verified: bot/runtime/web.py marks each request it
verified with VERIFIED_KEY on its context, and a request through Socket Mode (or a job
replaying a verified one) was authenticated by its connection. Anything else is only
logged: its user, channel and response_url are whatever the sender wrote. The apology says
the user's change is stored only when a commit of it really happened.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime.logs import current_request_id, new_request_id

log = logging.getLogger("aarbot.errors")
VERIFIED_KEY = "aarbot_verified"


def apology(ref: str, *, saved: bool = False) -> str:
    """What the user reads when something broke on our side; `saved`: after their change was
    stored, so doing it again would do it twice."""
    if saved:
        return (
            f"Sorry, something went wrong on aarbot's side after your change was saved "
            f"(reference `{ref}`). It is stored, so there is no need to do it again, but Slack "
            f"may not show all of it yet. Give the reference to whoever runs aarbot if it keeps "
            f"happening."
        )
    return (
        f"Sorry, something went wrong on aarbot's side and I could not finish that "
        f"(reference `{ref}`). Nothing was changed, so please try again, and give "
        f"the reference to whoever runs aarbot if it keeps happening."
    )


def verified(request: BoltRequest | None) -> bool:
    """Whether `request` is known to come from Slack, so its user may be told something."""
    if request is None:
        return False
    if request.mode == "socket_mode":
        # Socket Mode's connection is authenticated by the app token, and a job (replayed
        # the same way) only ever comes from a request that was verified.
        return True
    return request.context.get(VERIFIED_KEY) is True


TOO_SLOW = "That took too long: Slack no longer lets me open the form. Please try again."


def _slack_error(error: Exception) -> str | None:
    if isinstance(error, SlackApiError) and isinstance(error.response.data, dict):
        code = error.response.data.get("error")
        return code if isinstance(code, str) else None
    return None


def handle_error(
    error: Exception,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond | None,
    response: BoltResponse | None,
    request: BoltRequest | None = None,
    *,
    saved: bool = False,
    trusted: bool = False,
) -> BoltResponse | None:
    """Log the error under the request's id and tell the user of a verified request
    ephemerally, once; `saved`: their change was committed before it failed; `trusted`: the
    body is a job's, which only a verified request writes (else `request` must be verified).

    The reference the user reads is the request id on every log line of that request.
    """
    ref = current_request_id() or new_request_id()
    code = _slack_error(error)
    if code == "exchanged_trigger_id":
        # The trigger opened a modal already: a double click, whose first modal is open.
        log.info("a modal's trigger was already used (a second click) ref=%s", ref)
        return response
    if code == "expired_trigger_id":
        # The work after the ack came later than Slack's 3 seconds for opening a modal.
        log.info("a modal's trigger expired before it was used ref=%s", ref)
        text = TOO_SLOW
    else:
        log.error(
            "unhandled error ref=%s type=%s", ref, body.get("type") or "command", exc_info=error
        )
        text = apology(ref, saved=saved)
    if not (trusted or verified(request)):
        log.warning("told nobody about ref=%s: the request was not verified", ref)
        return _quiet(response, body)
    # Only now, the request known to come from Slack: who to tell, and where.
    user = _user_id(body)
    channel = _channel_id(body)
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif user and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        elif user:
            client.chat_postMessage(channel=user, text=text)
    except (SlackApiError, OSError):
        log.warning("could not deliver the apology for ref=%s", ref, exc_info=True)
    return _quiet(response, body)


def _quiet(response: BoltResponse | None, body: dict[str, Any]) -> BoltResponse | None:
    if response is not None and response.status >= 500 and body.get("type") != "view_submission":
        # Slack would add its own vague failure to the apology above. A modal keeps its 500:
        # Slack then leaves it open, so the user's input is still there to submit again.
        return BoltResponse(status=200, body="")
    return response


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _user_id(body: dict[str, Any]) -> str | None:
    if isinstance(body.get("user"), dict):
        return _text(body["user"].get("id"))
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    return _text(body.get("user_id")) or _text(event.get("user"))


def _channel_id(body: dict[str, Any]) -> str | None:
    if isinstance(body.get("channel"), dict):
        return _text(body["channel"].get("id"))
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    return _text(body.get("channel_id")) or _text(event.get("channel"))
