"""What a signed body must look like before Bolt sees it, and its text made safe to store.

bot/runtime/web.py calls `check` on every verified POST. The body is parsed the way Bolt parses it
(JSON, a form, or a form whose `payload` field is JSON), checked for depth, cleaned (NUL
removed and lone surrogates replaced, in every string: PostgreSQL refuses NUL, and neither
database can store a lone surrogate), and validated against the model of its kind: a slash
command, each interactivity payload aarbot handles, and the Events API envelopes with the
events it subscribes to. A body of another kind, or with a field of the wrong type, a
malformed payload, absurd nesting or an id no Slack id looks like, is refused (HTTP 400)
with a reason that quotes nothing from the body. A body that passes is handed to Bolt as it
came, or, when cleaning changed it (or Bolt's strict JSON parse would refuse it),
re-serialized from the cleaned values: either way Bolt (and the job that keeps the body)
sees exactly what was checked.

The models check the fields aarbot reads, and the ids it passes to Slack or the database;
they allow the many other fields Slack sends.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from storage.types import clean_text

MAX_DEPTH = 32  # Slack's deepest payloads (rich text in a modal's state) nest about 12

# Slack's ids: upper-case letters and digits (T…, U…, W…, C…, G…, D…, V…, B…, A…, E…).
SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,32}$")]
# action_id, block_id, callback_id: ours, or ones Slack generates (printable ASCII).
ElementId = Annotated[str, StringConstraints(pattern=r"^[!-~]{1,255}$")]
Ts = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}\.[0-9]{1,8}$")]
TriggerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,128}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[!-~]{1,490}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^Ev[A-Za-z0-9]{1,62}$")]
Day = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
Text = Annotated[str, StringConstraints(max_length=40_000)]
Short = Annotated[str, StringConstraints(max_length=3_000)]


class Shape(BaseModel):
    """A part of a Slack body: these fields checked, strictly (no coercion), others allowed."""

    model_config = ConfigDict(strict=True, extra="allow")


class Team(Shape):
    id: SlackId
    domain: Short | None = None


class User(Shape):
    id: SlackId
    team_id: SlackId | None = None
    username: Short | None = None
    name: Short | None = None


class Channel(Shape):
    id: SlackId
    name: Short | None = None


class OptionText(Shape):
    type: Short | None = None
    text: Short | None = None


class Option(Shape):
    value: Annotated[str, StringConstraints(max_length=2_000)]
    text: OptionText | None = None


class Element(Shape):
    """One element's entry in a view's state.values, as `bot/slack/listeners/views/values.py`
    reads it."""

    type: Short | None = None
    value: Text | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_user: SlackId | None = None
    selected_users: list[SlackId] | None = None
    selected_conversation: SlackId | None = None
    selected_conversations: list[SlackId] | None = None
    selected_channel: SlackId | None = None
    selected_date: Day | None = None


class State(Shape):
    values: dict[ElementId, dict[ElementId, Element]] = Field(default_factory=dict)


class Block(Shape):
    type: Short | None = None
    block_id: ElementId | None = None


class Metadata(Shape):
    """The private_metadata aarbot packs into its modals (bot/slack/blocks/modals.py)."""

    review: int | Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = None
    action: int | Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = None
    question: Short | None = None
    channel: SlackId | None = None
    ts: Ts | None = None
    response_url: Url | None = None
    source: Url | None = None


class View(Shape):
    id: SlackId
    team_id: SlackId | None = None
    type: Short | None = None
    callback_id: Annotated[str, StringConstraints(pattern=r"^[!-~]{0,255}$")] = ""
    private_metadata: Annotated[str, StringConstraints(max_length=3_000)] = ""
    hash: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._+/=-]{1,64}$")] | None = None
    state: State | None = None
    blocks: list[Block] | None = None
    app_installed_team_id: SlackId | None = None


class Action(Shape):
    action_id: ElementId
    block_id: ElementId | None = None
    type: Short | None = None
    value: Annotated[str, StringConstraints(max_length=2_000)] | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_user: SlackId | None = None
    selected_date: Day | None = None
    action_ts: Short | None = None


class Container(Shape):
    type: Short | None = None
    message_ts: Ts | None = None
    thread_ts: Ts | None = None
    channel_id: SlackId | None = None
    view_id: SlackId | None = None
    is_ephemeral: bool | None = None


class Message(Shape):
    """A message as a payload or an event carries it."""

    type: Short | None = None
    subtype: Short | None = None
    ts: Ts | None = None
    thread_ts: Ts | None = None
    user: SlackId | None = None
    bot_id: SlackId | None = None
    text: Text | None = None
    blocks: list[Block] | None = None


class Interactive(Shape):
    team: Team | None
    user: User
    api_app_id: SlackId | None = None
    token: Short | None = None
    trigger_id: TriggerId | None = None
    enterprise: dict[str, Any] | None = None
    is_enterprise_install: bool | None = None


class BlockActions(Interactive):
    type: Literal["block_actions"]
    actions: Annotated[list[Action], Field(min_length=1, max_length=25)]
    container: Container | None = None
    channel: Channel | None = None
    message: Message | None = None
    view: View | None = None
    response_url: Url | None = None
    state: State | None = None


class ResponseUrl(Shape):
    response_url: Url
    channel_id: SlackId | None = None


class ViewSubmission(Interactive):
    type: Literal["view_submission"]
    view: View
    response_urls: list[ResponseUrl] | None = None


class ViewClosed(Interactive):
    type: Literal["view_closed"]
    view: View
    is_cleared: bool | None = None


class GlobalShortcut(Interactive):
    type: Literal["shortcut"]
    callback_id: ElementId
    trigger_id: TriggerId


class MessageShortcut(Interactive):
    type: Literal["message_action"]
    callback_id: ElementId
    trigger_id: TriggerId
    channel: Channel
    message: Message
    message_ts: Ts | None = None
    response_url: Url | None = None


Payload = Annotated[
    BlockActions | ViewSubmission | ViewClosed | GlobalShortcut | MessageShortcut,
    Field(discriminator="type"),
]


class SlashCommand(Shape):
    """A slash command's form fields (all text, as forms are)."""

    command: Annotated[str, StringConstraints(pattern=r"^/[a-z0-9_-]{1,32}$")]
    team_id: SlackId
    user_id: SlackId
    channel_id: SlackId
    text: Annotated[str, StringConstraints(max_length=8_000)] = ""
    response_url: Url
    trigger_id: TriggerId
    enterprise_id: SlackId | None = None
    api_app_id: SlackId | None = None


class SslCheck(Shape):
    ssl_check: Literal["1"]


class MessageEvent(Message):
    type: Literal["message"]
    channel: SlackId
    ts: Ts
    team: SlackId | None = None
    message: Message | None = None
    previous_message: Message | None = None
    deleted_ts: Ts | None = None
    channel_type: Short | None = None


class MemberJoined(Shape):
    type: Literal["member_joined_channel"]
    user: SlackId
    channel: SlackId
    team: SlackId | None = None
    inviter: SlackId | None = None


class HomeOpened(Shape):
    type: Literal["app_home_opened"]
    user: SlackId
    channel: SlackId | None = None
    tab: Short | None = None
    view: View | None = None


class Uninstalled(Shape):
    type: Literal["app_uninstalled"]


class Tokens(Shape):
    oauth: list[SlackId] | None = None
    bot: list[SlackId] | None = None


class TokensRevoked(Shape):
    type: Literal["tokens_revoked"]
    tokens: Tokens | None = None


Event = Annotated[
    MessageEvent | MemberJoined | HomeOpened | Uninstalled | TokensRevoked,
    Field(discriminator="type"),
]


class Authorization(Shape):
    team_id: SlackId | None = None
    enterprise_id: SlackId | None = None
    user_id: SlackId | None = None


class EventCallback(Shape):
    type: Literal["event_callback"]
    team_id: SlackId
    api_app_id: SlackId | None = None
    event: Event
    event_id: EventId
    event_time: int | None = None
    authorizations: list[Authorization] | None = None


class UrlVerification(Shape):
    type: Literal["url_verification"]
    challenge: Annotated[str, StringConstraints(pattern=r"^[!-~]{1,200}$")]


class RateLimited(Shape):
    type: Literal["app_rate_limited"]
    team_id: SlackId
    minute_rate_limited: int | None = None


Envelope = Annotated[EventCallback | UrlVerification | RateLimited, Field(discriminator="type")]

_PAYLOAD: TypeAdapter[Any] = TypeAdapter(Payload)
_ENVELOPE: TypeAdapter[Any] = TypeAdapter(Envelope)
_METADATA = TypeAdapter(Metadata)


class MalformedError(ValueError):
    """A signed body aarbot will not hand to Bolt; the message quotes nothing from it."""


class _Cleaned:
    """A parsed body with every string (keys too) cleaned, and whether that changed any."""

    def __init__(self, value: Any) -> None:
        self.changed = False
        self.value = self._clean(value, 0)

    def _text(self, text: str) -> str:
        cleaned = clean_text(text)
        if cleaned is not text:
            self.changed = True
        return cleaned

    def _clean(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise MalformedError(f"nested deeper than {MAX_DEPTH}")
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, dict):
            return {self._text(str(k)): self._clean(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self._clean(v, depth + 1) for v in value]
        return value


def clean(value: Any) -> Any:
    """A parsed body with every string (keys too) cleaned; MalformedError if nested too deep."""
    return _Cleaned(value).value


def _json(text: str) -> tuple[Any, bool]:
    """The parsed JSON, and whether Bolt's own (strict) parse would refuse it."""
    try:
        try:
            return json.loads(text), False
        except ValueError:
            # A raw control character in a string (a NUL, say) is text to clean, not a
            # reason to drop it; Bolt then gets the body re-serialized.
            return json.loads(text, strict=False), True
    except RecursionError:
        raise MalformedError("nested too deep to parse") from None
    except ValueError:
        raise MalformedError("JSON that does not parse") from None


@cache
def _field_names() -> frozenset[str]:
    names: set[str] = set()
    for model in Shape.__subclasses__():
        stack = [model]
        while stack:
            current = stack.pop()
            names.update(current.model_fields)
            stack.extend(current.__subclasses__())
    return frozenset(names | {"literal", "str", "int", "bool", "list", "dict", "none"})


def _problem(error: ValidationError) -> str:
    """Where and what is wrong, naming only our own field names: never a value, nor a key
    the body chose (a block id, say)."""
    known = _field_names()
    first = error.errors(include_input=False, include_url=False)[0]
    parts = [
        "[]" if isinstance(part, int) else part if part in known else "*"
        for part in first["loc"][:8]
    ]
    return f"{'.'.join(parts) or 'body'}: {first['type']}"


def check(body: str, content_type: str | None) -> str:
    """The body to hand to Bolt (cleaned, re-serialized), or MalformedError saying why not."""
    if not body:
        raise MalformedError("an empty body")
    try:
        if content_type == "application/json" or body.startswith("{"):
            return _check_envelope(body)
        pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
        fields = dict(pairs)
        if len(fields) != len(pairs):
            raise MalformedError("a form with a field given twice")
    except ValidationError as error:
        raise MalformedError(_problem(error)) from None
    except (ValueError, UnicodeError) as error:
        raise MalformedError(f"a form that does not parse ({type(error).__name__})") from None
    try:
        if "payload" in fields:
            return _check_payload(body, fields)
        return _check_command(body, fields)
    except ValidationError as error:
        raise MalformedError(_problem(error)) from None


def _check_envelope(body: str) -> str:
    raw, lax = _json(body)
    parsed = _Cleaned(raw)
    if not isinstance(parsed.value, dict):
        raise MalformedError("a JSON body that is not an object")
    _ENVELOPE.validate_python(parsed.value)
    # Unchanged, Bolt parses the body Slack sent to exactly what was checked.
    return json.dumps(parsed.value) if parsed.changed or lax else body


def _check_payload(body: str, fields: dict[str, str]) -> str:
    if len(fields) != 1:
        raise MalformedError("a payload form with other fields")
    raw, lax = _json(fields["payload"])
    parsed = _Cleaned(raw)
    if not isinstance(parsed.value, dict):
        raise MalformedError("a payload that is not a JSON object")
    _PAYLOAD.validate_python(parsed.value)
    view = parsed.value.get("view")
    if isinstance(view, dict) and view.get("private_metadata"):
        meta, _ = _json(view["private_metadata"])
        if not isinstance(meta, dict):
            raise MalformedError("private_metadata that is not a JSON object")
        _METADATA.validate_python(meta)
    if parsed.changed or lax:
        return urlencode({"payload": json.dumps(parsed.value)})
    return body


def _check_command(body: str, fields: dict[str, str]) -> str:
    parsed = _Cleaned(fields)
    if "ssl_check" in parsed.value:
        SslCheck.model_validate(parsed.value)
    else:
        SlashCommand.model_validate(parsed.value)
    return urlencode(parsed.value) if parsed.changed else body
