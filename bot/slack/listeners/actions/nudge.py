"""The nudge DM's Done / Reschedule / Drop buttons (the App Home shows the same ones): each
opens its modal for the owner or the facilitator; a stale button refuses and shows the
action's current state instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.publish import posting
from bot.publish.home import hidden_from, refresh_homes
from bot.runtime.deps import Deps
from bot.slack.blocks.followup import drop_modal, outcome_modal, reschedule_modal
from bot.slack.blocks.home import notice_modal
from bot.slack.blocks.modals import metadata
from bot.slack.listeners.session import opens_modal
from flows import followup
from flows.review import ReviewError
from storage import reviews as store
from storage.models import Action, ActionStatus, Review


@dataclass(frozen=True)
class ActionClick:
    """One click on an action's button in its DM, with the action, its review and the DM."""

    action: Action
    review: Review
    user_id: str
    trigger_id: str | None
    client: WebClient
    channel_id: str | None
    message_ts: str | None

    def meta(self) -> str:
        """private_metadata for the modal: the action and the DM to update after submit."""
        return metadata(action=self.action.id, channel=self.channel_id, ts=self.message_ts)

    def open(self, view: View) -> None:
        """Open the modal."""
        self.client.views_open(trigger_id=self.trigger_id, view=view)


def dm_location(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and ts of the message whose button was clicked; none for an ephemeral one
    (`/aar actions`), which Slack does not let us update."""
    container = body.get("container") or {}
    if container.get("is_ephemeral"):
        return None, None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


def _action_id(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def on_action(handler: Callable[[ActionClick], None]) -> Callable[..., None]:
    """Ack; then load the action and its review, check who clicked and that it is still open."""

    def listener(
        action: dict,
        body: dict,
        client: WebClient,
        respond: Respond,
        context: BoltContext,
        session: Session,
        deps: Deps,
    ) -> None:
        on_view = (body.get("container") or {}).get("type") == "view"

        def refuse(text: str) -> None:
            if not on_view:
                respond(text=text, response_type="ephemeral", replace_original=False)
                return
            # A click on the App Home has no response_url: answer in a small modal, and
            # republish the Home so it shows the action as it now is.
            client.views_open(trigger_id=body.get("trigger_id"), view=notice_modal(text))
            refresh_homes(
                client, session, deps, team_id=context.team_id or "", user_ids=[body["user"]["id"]]
            )

        action_id = _action_id(action.get("value"))
        found = (
            store.get_action(session=session, action_id=action_id, for_update=True)
            if action_id is not None
            else None
        )
        review = found and store.get_review(session=session, review_id=found.review_id)
        if found is None or review is None:
            refuse("That action no longer exists.")
            return
        user_id = body["user"]["id"]
        channel, ts = dm_location(body)
        try:
            followup.require_actor(found, review, user_id)
        except ReviewError as refusal:
            refuse(str(refusal))
            return
        if found.status != ActionStatus.OPEN:
            refuse(f"This action is already {found.status}; nothing was changed.")
            hidden = hidden_from(session, deps, review, user_id)
            posting.show_action_state(client, channel, ts, found, review, hidden=hidden)
            return
        handler(
            ActionClick(
                action=found,
                review=review,
                user_id=user_id,
                trigger_id=body.get("trigger_id"),
                client=client,
                channel_id=channel,
                message_ts=ts,
            )
        )

    listener.__name__ = listener.__qualname__ = handler.__name__
    listener.__doc__ = handler.__doc__
    # Each opens a modal; what the person decides there is the modal's submission.
    return opens_modal(listener)


@on_action
def open_done(click: ActionClick) -> None:
    """Done: ask for the outcome."""
    click.open(outcome_modal(action=click.action, meta=click.meta()))


@on_action
def open_reschedule(click: ActionClick) -> None:
    """Reschedule: a datepicker starting at the current review date."""
    click.open(reschedule_modal(action=click.action, meta=click.meta()))


@on_action
def open_drop(click: ActionClick) -> None:
    """Drop: ask for the reason."""
    click.open(drop_modal(action=click.action, meta=click.meta()))
