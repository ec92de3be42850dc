"""The pydantic models of every body aarbot takes from Slack (bot/slack/shapes.py checks a
verified body against them): a slash command, each interactivity payload, and the Events API
envelopes with the events aarbot subscribes to. They check the fields aarbot reads and the
ids it passes to Slack or the database, and allow the many other fields Slack sends.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
