"""The modals: start a review, answer a question, add an action, give a private perspective."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.blocks.kit import context, section
from bot.slack.blocks.text import clip, escape
from bot.slack.ids import Block
from bot.slack.ids import Option as Opt
from bot.slack.ids import View as ViewId
from flows.actions import CRITERION_LIMIT, KINDS, WHAT_LIMIT
from flows.review import ANSWER_LIMIT, TITLE_LIMIT
from flows.templates import Question, Template

PRIVATE_METADATA_LIMIT = 3000


def metadata(**values: Any) -> str:
    """Pack what a modal's submission needs into private_metadata (JSON, within Slack's limit)."""
    packed = json.dumps({k: v for k, v in values.items() if v is not None}, separators=(",", ":"))
    if len(packed) > PRIVATE_METADATA_LIMIT:
        raise ValueError("private_metadata over Slack's 3000-character limit")
    return packed


def plain(text: str, limit: int = 75) -> PlainTextObject:
    """Plain text clipped to a Slack limit."""
    return PlainTextObject(text=clip(text, limit), emoji=True)


def modal(callback_id: str, title: str, submit: str, blocks: list, meta: str) -> View:
    """A modal with our Cancel button and titles clipped to Slack's 24 characters."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, 24),
        submit=plain(submit, 24),
        close=plain("Cancel", 24),
        blocks=blocks,
        private_metadata=meta,
    )


def start_modal(
    *,
    templates: Mapping[str, Template],
    meta: str,
    title: str = "",
    what_happened: str = "",
    ask_channel: bool = False,
    source_note: str | None = None,
) -> View:
    """The start modal: title, template, what happened, participants, options."""
    options = [Option(value=key, label=clip(t.name, 75)) for key, t in templates.items()]
    blocks: list = []
    if source_note:
        blocks.append(context(clip(source_note, 2000)))
    blocks.append(
        InputBlock(
            block_id=Block.TITLE,
            label=plain("Title"),
            element=PlainTextInputElement(
                action_id=Block.TITLE,
                initial_value=clip(title, TITLE_LIMIT) or None,
                max_length=TITLE_LIMIT,
                placeholder=plain("e.g. Checkout outage after Friday's deploy"),
            ),
        )
    )
    if ask_channel:
        blocks.append(
            InputBlock(
                block_id=Block.CHANNEL,
                label=plain("Channel for the review"),
                element=ConversationSelectElement(
                    action_id=Block.CHANNEL,
                    default_to_current_conversation=True,
                    response_url_enabled=True,
                    filter={"include": ["public", "private"], "exclude_bot_users": True},
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id=Block.TEMPLATE,
            label=plain("Kind of review"),
            element=StaticSelectElement(
                action_id=Block.TEMPLATE, options=options, initial_option=options[0]
            ),
        ),
        InputBlock(
            block_id=Block.WHAT_HAPPENED,
            label=plain("What happened?"),
            optional=True,
            element=PlainTextInputElement(
                action_id=Block.WHAT_HAPPENED,
                multiline=True,
                max_length=ANSWER_LIMIT,
                initial_value=clip(what_happened, ANSWER_LIMIT) or None,
                placeholder=plain("The facts as you know them; the group adds the rest."),
            ),
        ),
        InputBlock(
            block_id=Block.PARTICIPANTS,
            label=plain("Who should take part?"),
            optional=True,
            element=UserMultiSelectElement(action_id=Block.PARTICIPANTS),
        ),
        InputBlock(
            block_id=Block.OPTIONS,
            label=plain("Options"),
            optional=True,
            element=CheckboxesElement(
                action_id=Block.OPTIONS,
                options=[
                    Option(
                        value=Opt.CONFIDENTIAL,
                        label="Confidential",
                        description="Kept out of search, stats and shared lessons",
                    ),
                    Option(
                        value=Opt.PERSPECTIVES,
                        label="Collect private perspectives first",
                        description="Everyone answers alone by DM before the group discusses",
                    ),
                    Option(
                        value=Opt.ATTRIBUTED,
                        label="Show names in the private-perspectives digest",
                        description="Otherwise the digest is anonymous",
                    ),
                ],
            ),
        ),
    ]
    return modal(ViewId.START, "Start a review", "Start", blocks, meta)


def answer_modal(*, question: Question, review_title: str, meta: str) -> View:
    """A roomy box for a longer answer to one question."""
    blocks = [
        section(f"*{escape(question.prompt)}*"),
        context(clip(f"{escape(question.help)}  ·  {escape(review_title)}", 2000)),
        InputBlock(
            block_id=Block.ANSWER,
            label=plain("Your answer"),
            element=PlainTextInputElement(
                action_id=Block.ANSWER, multiline=True, max_length=ANSWER_LIMIT
            ),
        ),
    ]
    return modal(ViewId.ANSWER, "Answer", "Save answer", blocks, meta)


def action_modal(*, meta: str, kinds: Sequence[str], note: str | None = None) -> View:
    """Add an action: what, owner, review date, success criterion, kind."""
    options = [Option(value=k, label=KINDS[k]) for k in kinds]
    blocks: list = []
    if note:
        blocks.append(context(clip(note, 2000)))
    blocks += [
        InputBlock(
            block_id=Block.WHAT,
            label=plain("What will be done?"),
            hint=plain("Start with a verb: add, automate, remove, write, schedule…", 150),
            element=PlainTextInputElement(action_id=Block.WHAT, max_length=WHAT_LIMIT),
        ),
        InputBlock(
            block_id=Block.OWNER,
            label=plain("Owner (one person)"),
            element=UserSelectElement(action_id=Block.OWNER),
            # Picking someone tells the app at once, so it can ask Slack about them before
            # the modal is submitted (a submission must be answered without Web API calls).
            dispatch_action=True,
        ),
        InputBlock(
            block_id=Block.REVIEW_DATE,
            label=plain("Review date"),
            hint=plain("When we check whether it worked.", 150),
            element=DatePickerElement(action_id=Block.REVIEW_DATE),
        ),
        InputBlock(
            block_id=Block.CRITERION,
            label=plain("How will we know it worked?"),
            hint=plain("Something observable: a number, a threshold, a check.", 150),
            element=PlainTextInputElement(action_id=Block.CRITERION, max_length=CRITERION_LIMIT),
        ),
        InputBlock(
            block_id=Block.KIND,
            label=plain("Kind"),
            element=StaticSelectElement(
                action_id=Block.KIND, options=options, initial_option=options[0]
            ),
        ),
    ]
    return modal(ViewId.ADD_ACTION, "Add an action", "Add action", blocks, meta)


def perspective_modal(*, review_title: str, questions: Sequence[Question], meta: str) -> View:
    """The diagnostic questions, answered alone before the group discussion."""
    blocks: list = [
        section(
            f"*{escape(review_title)}*\nAnswer what you can, on your own. The group "
            "sees the answers together when the discussion starts."
        )
    ]
    for question in questions:
        blocks.append(
            InputBlock(
                block_id=f"q_{question.key}",
                label=plain(question.prompt, 2000),
                hint=plain(question.help, 150),
                optional=True,
                element=PlainTextInputElement(
                    action_id=f"q_{question.key}", multiline=True, max_length=ANSWER_LIMIT
                ),
            )
        )
    return modal(ViewId.PERSPECTIVE, "Your perspective", "Send", blocks, meta)
