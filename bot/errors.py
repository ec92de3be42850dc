"""The one error handler: a short apology with a reference id for the user, details in the log."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.logs import current_request_id, new_request_id

log = logging.getLogger("aarbot.errors")


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
        f"(reference `{ref}`). Nothing you typed was lost; please try again, and give "
        f"the reference to whoever runs aarbot if it keeps happening."
    )


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
    *,
    saved: bool = False,
) -> BoltResponse | None:
    """Log the error under the request's id and tell the user ephemerally, once.

    The reference the user reads is the request id on every log line of that request.
    """
    ref = current_request_id() or new_request_id()
    code = _slack_error(error)
    if code == "exchanged_trigger_id":
        # The trigger opened a modal already: a double click, whose first modal is open.
        log.info("a modal's trigger was already used (a second click) ref=%s", ref)
        return response
    user = _user_id(body)
    channel = _channel_id(body)
    if code == "expired_trigger_id":
        # The work after the ack came later than Slack's 3 seconds for opening a modal.
        log.info("a modal's trigger expired before it was used ref=%s", ref)
        text = TOO_SLOW
    else:
        log.error(
            "unhandled error ref=%s type=%s", ref, body.get("type") or "command", exc_info=error
        )
        text = apology(ref, saved=saved)
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif user and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        elif user:
            client.chat_postMessage(channel=user, text=text)
    except (SlackApiError, OSError):
        log.warning("could not deliver the apology for ref=%s", ref, exc_info=True)
    if response is not None and response.status >= 500 and body.get("type") != "view_submission":
        # Slack would add its own vague failure to the apology above. A modal keeps its 500:
        # Slack then leaves it open, so the user's input is still there to submit again.
        return BoltResponse(status=200, body="")
    return response


def _user_id(body: dict[str, Any]) -> str | None:
    if isinstance(body.get("user"), dict):
        return body["user"].get("id")
    event = body.get("event") or {}
    return body.get("user_id") or event.get("user")


def _channel_id(body: dict[str, Any]) -> str | None:
    if isinstance(body.get("channel"), dict):
        return body["channel"].get("id")
    event = body.get("event") or {}
    return body.get("channel_id") or event.get("channel")
