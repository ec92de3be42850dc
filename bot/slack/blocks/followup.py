"""Follow-through on an action: the Done / Reschedule / Drop modals, the DM after a click,
and an unmet outcome posted back in the review's thread."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.blocks.kit import context, from_review, section, what_and_criterion, worked_if
from bot.slack.blocks.modals import modal, plain
from bot.slack.blocks.review import met_label
from bot.slack.blocks.text import clip, escape
from bot.slack.ids import FOLLOW_UP, Act
from bot.slack.ids import Block as BlockId
from bot.slack.ids import View as ViewId
from flows.followup import NOTES_LIMIT, REASON_LIMIT
from storage.models import Action, ActionStatus, Review

MET_CHOICES = {"yes": "Yes", "partly": "Partly", "no": "No"}


def _day(action: Action) -> str:
    return f"{action.review_date:%a %-d %b}"


def _about(action: Action) -> SectionBlock:
    """The action and its success criterion, as the top of a modal or DM."""
    return section(
        f"{what_and_criterion(action)}\nOwner <@{action.owner_id}> · review date {_day(action)}"
    )


def outcome_modal(*, action: Action, meta: str) -> View:
    """Done: what happened, was the success criterion met (yes / partly / no), notes."""
    choices = [Option(value=k, label=v) for k, v in MET_CHOICES.items()]
    blocks = [
        _about(action),
        InputBlock(
            block_id=BlockId.OUTCOME,
            label=plain("What happened?"),
            element=PlainTextInputElement(
                action_id=BlockId.OUTCOME,
                multiline=True,
                max_length=NOTES_LIMIT,
                placeholder=plain("What you did, and what you saw afterwards."),
            ),
        ),
        InputBlock(
            block_id=BlockId.CRITERION_MET,
            label=plain("Was the success criterion met?"),
            element=RadioButtonsElement(action_id=BlockId.CRITERION_MET, options=choices),
        ),
        InputBlock(
            block_id=BlockId.NOTES,
            label=plain("Notes"),
            optional=True,
            element=PlainTextInputElement(
                action_id=BlockId.NOTES, multiline=True, max_length=NOTES_LIMIT
            ),
        ),
    ]
    return modal(ViewId.OUTCOME, "Mark it done", "Done", blocks, meta)


def reschedule_modal(*, action: Action, meta: str) -> View:
    """Reschedule: a new review date, starting from the current one."""
    blocks = [
        _about(action),
        InputBlock(
            block_id=BlockId.REVIEW_DATE,
            label=plain("New review date"),
            hint=plain("When we check whether it worked.", 150),
            element=DatePickerElement(
                action_id=BlockId.REVIEW_DATE, initial_date=action.review_date.isoformat()
            ),
        ),
    ]
    return modal(ViewId.RESCHEDULE, "Reschedule", "Reschedule", blocks, meta)


def drop_modal(*, action: Action, meta: str) -> View:
    """Drop: the reason is required."""
    blocks = [
        _about(action),
        InputBlock(
            block_id=BlockId.REASON,
            label=plain("Why drop it?"),
            hint=plain("The review keeps the reason, so the team knows what happened.", 150),
            element=PlainTextInputElement(
                action_id=BlockId.REASON, multiline=True, max_length=REASON_LIMIT
            ),
        ),
    ]
    return modal(ViewId.DROP, "Drop the action", "Drop", blocks, meta)


def nudge_buttons(
    action: Action, block_id: str | None = None, *, done_primary: bool = True
) -> ActionsBlock:
    """Done / Reschedule / Drop, each carrying the action id; the same listeners answer them
    wherever they are shown. Done is the primary button for the owner, not for a facilitator."""
    value = str(action.id)
    return ActionsBlock(
        block_id=block_id,
        elements=[
            ButtonElement(
                text="Done",
                action_id=Act.NUDGE_DONE,
                value=value,
                style="primary" if done_primary else None,
            ),
            ButtonElement(text="Reschedule", action_id=Act.NUDGE_RESCHEDULE, value=value),
            ButtonElement(text="Drop", action_id=Act.NUDGE_DROP, value=value),
        ],
    )


def state_line(action: Action) -> str:
    """The action's state in a few words: done with its outcome, dropped, or its date."""
    if action.status == ActionStatus.DONE:
        return f"✅ Done · {met_label(action.outcome)}"
    if action.status == ActionStatus.DROPPED:
        return f"✖️ Dropped: {escape(action.drop_reason or '')}"
    return f"📅 Rescheduled to {_day(action)}"


def action_state_dm(
    action: Action, review: Review, *, hidden: bool = False
) -> tuple[str, list[Block]]:
    """The nudge DM once acted on: the action and its new state; buttons only while open."""
    # `hidden`: the DM's reader may not see the review, so it goes unnamed, as on the nudge.
    state = state_line(action)
    blocks: list[Block] = [
        section(f"{what_and_criterion(action)}\n{from_review(review, hidden=hidden)}"),
        section(state),
    ]
    if action.status == ActionStatus.DONE and action.outcome_summary:
        blocks.append(context(f"_What happened:_ {escape(action.outcome_summary)}"))
    if action.status == ActionStatus.OPEN:
        blocks.append(nudge_buttons(action))
    return f"{clip(escape(action.what), 150)}: {state}", blocks


def outcome_in_thread(action: Action) -> tuple[str, list[Block]]:
    """An unmet (partly / no) outcome back in the review's thread, offering a follow-up."""
    met = met_label(action.outcome)
    lines = [
        f"*Outcome:* {met} for *{escape(action.what)}* (<@{action.owner_id}>)",
        worked_if(action),
        f"_What happened:_ {escape(action.outcome_summary or '')}",
    ]
    if action.outcome_notes:
        lines.append(f"_Notes:_ {escape(action.outcome_notes)}")
    blocks: list[Block] = [
        section("\n".join(lines)),
        context("The facilitator can add a follow-up action."),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Add follow-up action",
                    action_id=Act.ADD_ACTION,
                    value=f"{action.review_id}:{FOLLOW_UP}",
                    style="primary",
                )
            ]
        ),
    ]
    return f"Outcome: {met} for {clip(escape(action.what), 150)}", blocks
