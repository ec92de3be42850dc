"""The WebClient a job (or a modal opened after the ack) talks to Slack through.

Two rules hold for every Web API call it makes, through WebClient's one public entry point,
`api_call`:

- The job's transaction is committed before the call, so no lock is held while Slack answers
  (on SQLite, the one write lock of the database); only code that must roll back what it
  wrote if the call fails keeps it open, explicitly (storage.db.holding).
- A job posts each message once. Its n-th chat.postMessage is remembered on the job's row
  as soon as Slack answers, and a retry of the job is answered from there instead of posting
  again. The post carries the job and its number in Slack's message `metadata`, so when a
  worker died between the post and remembering it, the retry finds the message in the
  conversation's history first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

log = logging.getLogger("aarbot.jobs")

METADATA_TYPE = "aarbot_post"


def _copy(client: WebClient) -> dict[str, Any]:
    return {
        "token": client.token,
        "base_url": client.base_url,
        "timeout": client.timeout,
        "retry_handlers": client.retry_handlers,
        "logger": client.logger,
    }


class CommittingClient(WebClient):
    """A client that calls `before_call()` ahead of each Web API call."""

    def __init__(self, client: WebClient, before_call: Callable[[], None]) -> None:
        super().__init__(**_copy(client))
        self.before_call = before_call

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        """End the transaction (storage.db.end_before_call), then call Slack."""
        self.before_call()
        return super().api_call(api_method, **kwargs)


class JobClient(CommittingClient):
    """A job's client: commits before each call, and posts each of the job's messages once."""

    def __init__(
        self,
        client: WebClient,
        *,
        before_call: Callable[[], None],
        job_id: int,
        attempt: int,
        posted: dict[str, dict[str, Any]],
        remember: Callable[[str, dict[str, Any]], None],
    ) -> None:
        super().__init__(client, before_call)
        self.job_id = job_id
        self.attempt = attempt
        self.posted = posted
        self.remember = remember
        self._count = 0

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        """Post a message at most once per job; any other call goes straight to Slack."""
        if api_method != "chat.postMessage":
            return super().api_call(api_method, **kwargs)
        self._count += 1
        key = str(self._count)
        args = kwargs.get("json") or kwargs.get("params") or kwargs.get("data") or {}
        known = self.posted.get(key) or (self.attempt > 1 and self._find(key, args))
        if known:
            log.info("job %s: post %s was already made (ts %s)", self.job_id, key, known["ts"])
            return self._answer(api_method, known)
        if isinstance(kwargs.get("json"), dict) and "metadata" not in kwargs["json"]:
            kwargs["json"]["metadata"] = {
                "event_type": METADATA_TYPE,
                "event_payload": {"job": self.job_id, "post": key},
            }
        response = super().api_call(api_method, **kwargs)
        message = {"channel": response.get("channel"), "ts": response.get("ts")}
        self.posted[key] = message
        self.remember(key, message)
        return response

    def _find(self, key: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """The message an earlier attempt posted as `key`, looked for in the conversation."""
        channel, thread = args.get("channel"), args.get("thread_ts")
        if not channel:
            return None
        try:
            if thread:
                found = super().api_call(
                    "conversations.replies",
                    http_verb="GET",
                    params={"channel": channel, "ts": thread, "include_all_metadata": True},
                )
            else:
                found = super().api_call(
                    "conversations.history",
                    http_verb="GET",
                    params={"channel": channel, "limit": 50, "include_all_metadata": True},
                )
        except SlackApiError as error:
            log.warning("job %s: could not look for its earlier post: %s", self.job_id, error)
            return None
        for message in found.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("job") == self.job_id and str(payload.get("post")) == key:
                return {"channel": found.get("channel") or channel, "ts": message.get("ts")}
        return None

    def _answer(self, api_method: str, message: dict[str, Any]) -> SlackResponse:
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=self.base_url + api_method,
            req_args={},
            data={"ok": True, "channel": message.get("channel"), "ts": message.get("ts")},
            headers={},
            status_code=200,
        )


def posted_of(raw: str | None) -> dict[str, dict[str, Any]]:
    """The posts recorded on a job's row."""
    return json.loads(raw or "{}")
