"""Messages of a review: the review message, the questions, digests, actions and the summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    Option,
    StaticSelectElement,
)

from bot.slack.blocks.kit import context, review_link, section, worked_if
from bot.slack.blocks.text import clip, count, escape
from bot.slack.ids import Act
from bot.slack.ids import Block as BlockId
from flows.actions import KINDS
from flows.coaching import BlameFinding
from flows.perspectives import DigestEntry
from flows.summary import Summary
from flows.templates import GAP_LABELS, Question, QuestionKind, Template
from storage.models import Action, ActionStatus, Answer, Review, Stage

MET = {"yes": "criterion met", "partly": "criterion partly met", "no": "criterion not met"}
STAGE_LABELS = {
    Stage.SETUP: "Waiting to start",
    Stage.PERSPECTIVES: "Collecting private perspectives",
    Stage.DISCUSSION: "Discussion",
    Stage.ACTIONS: "Agreeing actions",
    Stage.CLOSED: "Closed",
    Stage.SHARED: "Closed and shared",
}


@dataclass(frozen=True)
class ReviewView:
    """Everything the review message shows."""

    review: Review
    template: Template
    participant_ids: Sequence[str]
    answer_counts: dict[str, int]
    actions: Sequence[Action]
    perspectives: tuple[int, int] | None = None


def _button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value, style=style)


def _mentions(user_ids: Sequence[str], limit: int = 20) -> str:
    shown = " ".join(f"<@{u}>" for u in user_ids[:limit])
    return shown + (f" and {len(user_ids) - limit} more" if len(user_ids) > limit else "")


def met_label(outcome: str | None) -> str:
    """ "criterion met" / "criterion partly met" / "criterion not met"."""
    return MET.get(outcome or "", "outcome not given")


def action_line(action: Action) -> str:
    """One action as a line: what, owner, date, criterion, status."""
    status = ""
    if action.status == ActionStatus.DONE:
        status = f" · ✅ done · {met_label(action.outcome)}"
    elif action.status == ActionStatus.DROPPED:
        status = f" · ✖️ dropped: {escape(clip(action.drop_reason or '', 200))}"
    return (
        f"• *{escape(action.what)}*: <@{action.owner_id}>, review "
        f"{action.review_date:%a %-d %b %Y}{status}\n"
        f"   {worked_if(action)}"
    )


def review_message(view: ReviewView) -> tuple[str, list[Block]]:
    """The review message in the channel (its thread holds the discussion)."""
    review, template = view.review, view.template
    index = min(review.question_index, len(template.questions) - 1)
    answered = sum(view.answer_counts.values())
    progress = (
        f"Question {index + 1} of {len(template.questions)} · {count(answered, 'answer')} so far"
    )
    if view.perspectives is not None and review.stage == Stage.PERSPECTIVES:
        done, total = view.perspectives
        progress = f"{done} of {total} have given their perspective privately"
    if review.stage in (Stage.CLOSED, Stage.SHARED):
        progress = (
            f"Closed with {count(answered, 'answer')} and {count(len(view.actions), 'action')}"
        )
    flags = " · 🔒 confidential" if review.confidential else ""
    details = (
        f"*{escape(template.name)}* · facilitated by <@{review.facilitator_id}>{flags}\n"
        f"*Stage:* {STAGE_LABELS.get(review.stage, review.stage)} · {progress}"
    )
    people = [p for p in view.participant_ids if p != review.facilitator_id]
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"After-action review: {review.title}", 150)),
        section(details),
    ]
    if people:
        blocks.append(context("With " + _mentions(people)))
    if review.source_permalink:
        blocks.append(context(f"<{review.source_permalink}|Started from this message>"))
    if view.actions:
        lines = "\n".join(action_line(a) for a in view.actions[:10])
        more = f"\n…and {len(view.actions) - 10} more" if len(view.actions) > 10 else ""
        blocks.append(section(f"*Actions*\n{lines}{more}"))
    blocks.append(ActionsBlock(block_id=BlockId.CONTROLS, elements=_controls(review)))
    text = f"After-action review: {escape(review.title)}"
    return text, blocks


def _controls(review: Review) -> list[ButtonElement]:
    rid = str(review.id)
    if review.stage in (Stage.CLOSED, Stage.SHARED):
        return [
            _button("Share lesson", Act.SHARE, rid, "primary"),
            _button("Reopen", Act.REOPEN, rid),
        ]
    if review.stage == Stage.PERSPECTIVES:
        return [
            _button("Give my perspective", Act.GIVE_PERSPECTIVE, rid, "primary"),
            _button("Start the discussion", Act.START_DISCUSSION, rid),
        ]
    # Next and Back carry the question they were shown with, so a second click moves nothing.
    shown = f"{rid}:{review.question_index}"
    return [
        _button("Next question", Act.NEXT, shown, "primary"),
        _button("Back", Act.BACK, shown),
        _button("Add action", Act.ADD_ACTION, rid),
        _button("Close review", Act.CLOSE, rid, "danger"),
    ]


def question_message(
    review: Review, template: Template, question: Question
) -> tuple[str, list[Block]]:
    """A question posted in the thread, with the buttons that answer it."""
    number = template.index_of(question.key) + 1
    text = f"Question {number} of {len(template.questions)}: {question.prompt}"
    blocks: list[Block] = [
        section(f"*{number}/{len(template.questions)} · {escape(question.prompt)}*"),
        context(escape(question.help) + reply_hint(question)),
    ]
    value = f"{review.id}:{question.key}"
    elements: list = [_button("Answer", Act.ANSWER, value)]
    if question.kind == QuestionKind.GAP_TYPE:
        options = [Option(value=str(k), label=clip(v, 75)) for k, v in GAP_LABELS.items()]
        chosen = [o for o in options if o.value == review.gap_type]
        elements.append(
            StaticSelectElement(
                action_id=Act.GAP_TYPE,
                placeholder="Gap type",
                options=options,
                initial_option=chosen[0] if chosen else None,
            )
        )
    if question.kind == QuestionKind.ACTIONS:
        elements.insert(0, _button("Add action", Act.ADD_ACTION, str(review.id), "primary"))
    blocks.append(ActionsBlock(block_id=f"q:{value}"[:255], elements=elements))
    return text, blocks


def reply_hint(question: Question) -> str:
    """What to do with a question, said under its help text."""
    if question.kind == QuestionKind.ACTIONS:
        return "\nAdd each action with *Add action*; reply here to discuss."
    if question.kind == QuestionKind.GAP_TYPE:
        return "\nReply in this thread with the root cause, then pick the gap type."
    return "\nReply in this thread, or use *Answer* for a longer one."


def digest_message(
    question: Question, answers: Sequence[Answer], actions: Sequence[Action] = ()
) -> tuple[str, list[Block]]:
    """The short recap posted when the facilitator moves past a question."""
    if question.kind == QuestionKind.ACTIONS and actions:
        body = "\n".join(action_line(a) for a in actions[:10])
        if len(actions) > 10:
            body += f"\n…and {len(actions) - 10} more"
    elif not answers:
        body = "_No answers._"
    else:
        body = "\n".join(f"• {escape(clip(a.text, 280))} (<@{a.author_id}>)" for a in answers[:15])
        if len(answers) > 15:
            body += f"\n…and {len(answers) - 15} more"
    text = f"Recap: {question.prompt}"
    return text, [section(f"*Recap · {escape(question.prompt)}*\n{body}")]


def perspectives_digest(
    digest: Sequence[tuple[Question, Sequence[DigestEntry]]], *, attributed: bool
) -> tuple[str, list[Block]]:
    """The private answers, posted when the discussion starts."""
    how = "with names" if attributed else "anonymously"
    blocks: list[Block] = [section(f"*What people said privately* ({how})")]
    for question, entries in digest[:45]:
        if not entries:
            lines = "_No private answers._"
        else:
            lines = "\n".join(
                f"• {escape(clip(e.text, 280))}" + (f" (<@{e.author_id}>)" if e.author_id else "")
                for e in entries
            )
        blocks.append(section(f"*{escape(question.prompt)}*\n{lines}"))
    return "What people said privately", blocks


def action_added(action: Action, hints: Sequence[str]) -> tuple[str, list[Block]]:
    """The thread's confirmation of a new action, with `hints` when it is vague."""
    kind = KINDS.get(action.kind, action.kind)
    blocks: list[Block] = [
        section(f"*New action* ({kind}, added by <@{action.created_by}>)\n{action_line(action)}")
    ]
    if hints:
        listed = "\n".join(f"• {escape(h)}" for h in hints)
        blocks.append(context(f"💡 Could be more specific:\n{listed}"))
    return f"New action: {escape(action.what)}", blocks


def summary_message(summary: Summary) -> tuple[str, list[Block]]:
    """The closing summary: each question's answers, the root cause, actions and lesson."""
    review = summary.review
    blocks: list[Block] = [HeaderBlock(text=clip(f"Summary: {review.title}", 150))]
    for question, answers in summary.sections:
        body = "\n".join(f"• {escape(a.text)}" for a in answers) or "_No answer._"
        if question.kind == QuestionKind.GAP_TYPE:
            body += f"\n*Gap type:* {summary.gap_label or 'not set'}"
        blocks.append(section(f"*{escape(question.prompt)}*\n{body}"))
        if len(blocks) > 40:
            break
    actions = "\n".join(action_line(a) for a in summary.actions[:10]) or "_None._"
    label = "Practices to keep" if review.kind == "success" else "Corrective actions"
    blocks += [DividerBlock(), section(f"*{label}*\n{actions}")]
    blocks.append(context(f"Closed by the facilitator <@{review.facilitator_id}>"))
    blocks.append(ActionsBlock(elements=[_button("Share lesson", Act.SHARE, str(review.id))]))
    return f"Summary of the review: {escape(review.title)}", blocks


def list_message(reviews: Sequence[Review], templates: dict[str, Template]) -> list[Block]:
    """`/aar list`: the channel's open reviews with links."""
    if not reviews:
        return [section("No open reviews in this channel. Start one with `/aar`.")]
    lines = []
    for review in reviews[:40]:
        name = templates[review.template].name if review.template in templates else review.template
        link, stage = review_link(review), STAGE_LABELS.get(review.stage, review.stage)
        lines.append(f"• {link} · {escape(name)} · {stage} · <@{review.facilitator_id}>")
    return [section("*Open reviews in this channel*\n" + "\n".join(lines))]


def perspective_dm(review: Review) -> tuple[str, list[Block]]:
    """The DM inviting a participant to answer privately first."""
    text = f"<@{review.facilitator_id}> asked for your perspective on “{escape(review.title)}”"
    blocks: list[Block] = [
        section(
            f"{text}. Answer the questions on your own before the group discussion; "
            "that keeps the first voice in the room from setting everyone's view."
        ),
        ActionsBlock(
            elements=[
                _button("Give my perspective", Act.GIVE_PERSPECTIVE, str(review.id), "primary")
            ]
        ),
    ]
    return text, blocks


def modal_answer(answer: Answer, prompt: str) -> tuple[str, list[Block]]:
    """A longer answer from the Answer modal (to the question `prompt`), shown in the thread
    for everyone."""
    text = f"<@{answer.author_id}> answered “{escape(prompt)}”"
    return text, [section(f"{text}:\n{escape(answer.text)}")]


def coaching_note(finding: BlameFinding) -> str:
    """The private nudge to reframe an answer that judges a person."""
    return (
        f"🌱 Your answer is saved. One thought: “{escape(finding.phrase)}” judges a person "
        f"rather than a decision or a process, which tends to make people defensive and hides "
        f"the real cause. {escape(finding.suggestion)}"
    )


def note(text: str) -> list[Block]:
    """A small context line in the thread (gap type set, reopened, …)."""
    return [context(text)]
