"""The modals: start a review, answer a question, add an action, give a private perspective."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.text import clip, escape
from bot.ids import Block
from bot.ids import Option as Opt
from bot.ids import View as ViewId
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


def _plain(text: str, limit: int = 75) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def _modal(callback_id: str, title: str, submit: str, blocks: list, meta: str) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=_plain(title, 24),
        submit=_plain(submit, 24),
        close=_plain("Cancel", 24),
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
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(source_note, 2000))]))
    blocks.append(
        InputBlock(
            block_id=Block.TITLE,
            label=_plain("Title"),
            element=PlainTextInputElement(
                action_id=Block.TITLE,
                initial_value=clip(title, TITLE_LIMIT) or None,
                max_length=TITLE_LIMIT,
                placeholder=_plain("e.g. Checkout outage after Friday's deploy"),
            ),
        )
    )
    if ask_channel:
        blocks.append(
            InputBlock(
                block_id=Block.CHANNEL,
                label=_plain("Channel for the review"),
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
            label=_plain("Kind of review"),
            element=StaticSelectElement(
                action_id=Block.TEMPLATE, options=options, initial_option=options[0]
            ),
        ),
        InputBlock(
            block_id=Block.WHAT_HAPPENED,
            label=_plain("What happened?"),
            optional=True,
            element=PlainTextInputElement(
                action_id=Block.WHAT_HAPPENED,
                multiline=True,
                max_length=ANSWER_LIMIT,
                initial_value=clip(what_happened, ANSWER_LIMIT) or None,
                placeholder=_plain("The facts as you know them; the group adds the rest."),
            ),
        ),
        InputBlock(
            block_id=Block.PARTICIPANTS,
            label=_plain("Who should take part?"),
            optional=True,
            element=UserMultiSelectElement(action_id=Block.PARTICIPANTS),
        ),
        InputBlock(
            block_id=Block.OPTIONS,
            label=_plain("Options"),
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
    return _modal(ViewId.START, "Start a review", "Start", blocks, meta)


def answer_modal(*, question: Question, review_title: str, meta: str) -> View:
    """A roomy box for a longer answer to one question."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"*{escape(question.prompt)}*")),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=clip(f"{escape(question.help)}  ·  {escape(review_title)}", 2000)
                )
            ]
        ),
        InputBlock(
            block_id=Block.ANSWER,
            label=_plain("Your answer"),
            element=PlainTextInputElement(
                action_id=Block.ANSWER, multiline=True, max_length=ANSWER_LIMIT
            ),
        ),
    ]
    return _modal(ViewId.ANSWER, "Answer", "Save answer", blocks, meta)


def action_modal(*, meta: str, kinds: Sequence[str], note: str | None = None) -> View:
    """Add an action: what, owner, review date, success criterion, kind."""
    options = [Option(value=k, label=KINDS[k]) for k in kinds]
    blocks: list = []
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(note, 2000))]))
    blocks += [
        InputBlock(
            block_id=Block.WHAT,
            label=_plain("What will be done?"),
            hint=_plain("Start with a verb: add, automate, remove, write, schedule…", 150),
            element=PlainTextInputElement(action_id=Block.WHAT, max_length=WHAT_LIMIT),
        ),
        InputBlock(
            block_id=Block.OWNER,
            label=_plain("Owner (one person)"),
            element=UserSelectElement(action_id=Block.OWNER),
        ),
        InputBlock(
            block_id=Block.REVIEW_DATE,
            label=_plain("Review date"),
            hint=_plain("When we check whether it worked.", 150),
            element=DatePickerElement(action_id=Block.REVIEW_DATE),
        ),
        InputBlock(
            block_id=Block.CRITERION,
            label=_plain("How will we know it worked?"),
            hint=_plain("Something observable: a number, a threshold, a check.", 150),
            element=PlainTextInputElement(action_id=Block.CRITERION, max_length=CRITERION_LIMIT),
        ),
        InputBlock(
            block_id=Block.KIND,
            label=_plain("Kind"),
            element=StaticSelectElement(
                action_id=Block.KIND, options=options, initial_option=options[0]
            ),
        ),
    ]
    return _modal(ViewId.ADD_ACTION, "Add an action", "Add action", blocks, meta)


def perspective_modal(*, review_title: str, questions: Sequence[Question], meta: str) -> View:
    """The diagnostic questions, answered alone before the group discussion."""
    blocks: list = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{escape(review_title)}*\nAnswer what you can, on your own. The group "
                "sees the answers together when the discussion starts."
            )
        )
    ]
    for question in questions:
        blocks.append(
            InputBlock(
                block_id=f"q_{question.key}",
                label=_plain(question.prompt, 2000),
                hint=_plain(question.help, 150),
                optional=True,
                element=PlainTextInputElement(
                    action_id=f"q_{question.key}", multiline=True, max_length=ANSWER_LIMIT
                ),
            )
        )
    return _modal(ViewId.PERSPECTIVE, "Your perspective", "Send", blocks, meta)
