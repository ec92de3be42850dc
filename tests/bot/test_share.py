"""Share lesson: the modal, the "What we learned" card, its updates, and confidential reviews."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from bot.slack.ids import Act, Block, Option
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from storage.models import Action, Lesson, Review
from tests.bot import reviewing as r

ROOT_CAUSE = "We assumed the flag was off in production, and nobody checked it"
LESSON = "Check live flag state before every rollout"


def _texts(messages: list[dict[str, Any]]) -> str:
    return str(messages)


def closed_review(bot: Bot, *, user: str = "U0ALICE", **start: Any) -> dict[str, Any]:
    """A miss review walked to its close: root cause, gap, one action, a lesson."""
    root = r.start(bot, what="Checkout broke at 16:00 after the deploy", user=user, **start)
    channel = start.get("channel", "C0GENERAL")
    for _ in range(5):  # expected, actual, assumption, evidence, changed
        r.click(bot, root, Act.NEXT, user=user, channel=channel)
    bot.reply(ROOT_CAUSE, user="U0BOB", channel=channel, thread_ts=root["ts"])
    rid = r.review_id(root)
    r.click(
        bot,
        root,
        Act.GAP_TYPE,
        user=user,
        channel=channel,
        selected_option="process",
        block_id=f"q:{rid}:root_cause",
    )
    r.click(bot, root, Act.NEXT, user=user, channel=channel)
    response = r.add_action(bot, root, user=user)
    assert response.status == 200, response.body
    r.click(bot, root, Act.NEXT, user=user, channel=channel)
    bot.reply(LESSON, user="U0CAROL", channel=channel, thread_ts=root["ts"])
    r.click(bot, root, Act.CLOSE, user=user, channel=channel)
    return root


def share_values(
    lesson: str | None = LESSON,
    channels: tuple[str, ...] = ("C0LESSONS",),
    *,
    confirm: bool = False,
) -> dict[str, Any]:
    """state.values of a filled-in Share lesson modal."""
    values = {
        Block.LESSON: {Block.LESSON: p.text_value(lesson)},
        Block.SHARE_TO: {Block.SHARE_TO: p.conversations_value(list(channels))},
    }
    if confirm:
        checked = p.checkboxes_value([Option.SHARE_CONFIDENTIAL])
        values[Block.CONFIRM] = {Block.CONFIRM: checked}
    return values


def open_share(
    bot: Bot, root: dict[str, Any], *, user: str = "U0ALICE", channel: str = "C0GENERAL"
):
    """Click Share lesson on the review message; return the modal it opened."""
    before = len(bot.standin.open_views)
    r.click(bot, root, Act.SHARE, user=user, channel=channel)
    assert len(bot.standin.open_views) == before + 1, "no Share modal opened"
    return bot.last_view()


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_sharing_a_public_review_posts_the_card_and_marks_it_shared(
    bot: Bot, session: Session
) -> None:
    root = closed_review(bot, participants=("U0BOB", "U0CAROL"))
    view = open_share(bot, root)
    lesson_input = _input(view, Block.LESSON)["element"]
    assert lesson_input["initial_value"] == LESSON  # pre-filled from "what we learned"
    assert lesson_input["max_length"] == 500
    assert Block.CONFIRM not in str(view["blocks"])  # no confirmation for a public review

    edited = LESSON + ", and <!channel> read the runbook"
    response = bot.submit(view, share_values(edited))
    assert response.status == 200
    assert not response.body

    cards = bot.standin.messages("C0LESSONS")
    assert len(cards) == 1
    card = str(cards[0]["blocks"])
    assert "What we learned: Checkout outage after Friday deploy" in card
    assert "Checkout broke at 16:00" in card  # what happened, in one line
    assert ROOT_CAUSE in card
    assert "Process" in card
    assert "&lt;!channel&gt;" in card  # echoed text pings nobody
    assert "<!channel>" not in card
    assert "Add a canary stage" in card
    assert "<@U0BOB>" in card  # the action's owner
    assert "0 of 1 done" in card
    assert "the review thread" in card  # a link back to the thread

    review = session.exec(select(Review)).one()
    assert review.stage == "shared"
    lesson = session.exec(select(Lesson)).one()
    assert lesson.text == edited
    assert lesson.channel_id == "C0LESSONS"
    assert lesson.message_ts == cards[0]["ts"]
    assert "shared the lesson to <#C0LESSONS>" in _texts(r.thread(bot, root))
    assert "Closed and shared" in _texts([bot.standin.messages("C0GENERAL")[0]])
    # The facilitator's Home is republished: the new lesson is on it without reopening the tab.
    homes = [c for c in bot.standin.calls_to("views.publish") if c.args.get("user_id") == "U0ALICE"]
    assert "Check live flag state" in str(homes[-1].args)


def test_the_card_is_updated_in_place_when_an_action_is_done(bot: Bot, session: Session) -> None:
    root = closed_review(bot)
    bot.submit(open_share(bot, root), share_values())
    card = bot.standin.messages("C0LESSONS")[0]
    action = session.exec(select(Action)).one()

    # The owner marks the action done from its nudge's Done button.
    bot.click(Act.NUDGE_DONE, value=str(action.id), user="U0BOB", channel="D0BOB")
    outcome = r.outcome_values("No incidents since")
    assert bot.submit(bot.last_view(), outcome, user="U0BOB").status == 200

    cards = bot.standin.messages("C0LESSONS")
    assert len(cards) == 1  # updated, not posted again
    assert cards[0]["ts"] == card["ts"]
    assert "1 of 1 done" in str(cards[0]["blocks"])
    updates = [c for c in bot.standin.calls_to("chat.update") if c.args.get("ts") == card["ts"]]
    assert updates


def test_sharing_again_to_the_same_channel_updates_the_card(bot: Bot, session: Session) -> None:
    root = closed_review(bot)
    bot.submit(open_share(bot, root), share_values())
    bot.submit(open_share(bot, root), share_values("Always check flag state first"))
    cards = bot.standin.messages("C0LESSONS")
    assert len(cards) == 1
    assert "Always check flag state first" in str(cards[0]["blocks"])
    assert len(session.exec(select(Lesson)).all()) == 1


def test_a_confidential_review_needs_confirmation_and_its_card_has_no_answers(
    bot: Bot, session: Session
) -> None:
    root = closed_review(bot, participants=("U0BOB",), options=("confidential",))
    view = open_share(bot, root)
    assert _input(view, Block.CONFIRM)

    refused = bot.submit(view, share_values())
    assert refused.json()["response_action"] == "errors"
    assert Block.CONFIRM in refused.json()["errors"]
    assert bot.standin.messages("C0LESSONS") == []
    assert session.exec(select(Lesson)).all() == []

    assert bot.submit(view, share_values(confirm=True)).status == 200
    card = str(bot.standin.messages("C0LESSONS")[0]["blocks"])
    assert LESSON in card
    assert "Process" in card
    assert "Add a canary stage" in card
    assert ROOT_CAUSE not in card
    assert "Checkout broke at 16:00" not in card
    assert "confidential" in card


def test_only_the_facilitator_or_a_lead_may_share(
    bot: Bot, standin: SlackStandIn, make_bot
) -> None:
    root = closed_review(bot)
    before = len(standin.open_views)
    r.click(bot, root, Act.SHARE, user="U0BOB")
    assert len(standin.open_views) == before  # no modal for Bob
    assert "Only the facilitator" in str(standin.ephemerals("U0BOB"))

    lead_bot = make_bot(leads=("U0BOB",))
    view = open_share(lead_bot, root, user="U0BOB")
    assert lead_bot.submit(view, share_values(), user="U0BOB").status == 200
    assert "shared by <@U0BOB>" in str(standin.messages("C0LESSONS")[0]["blocks"])


def test_modal_errors_keep_the_input_and_post_nothing(bot: Bot, session: Session) -> None:
    root = closed_review(bot)
    view = open_share(bot, root)
    empty = bot.submit(view, share_values(lesson="   ", channels=()))
    errors = empty.json()["errors"]
    assert set(errors) == {Block.LESSON, Block.SHARE_TO}
    assert bot.standin.messages("C0LESSONS") == []
    assert session.exec(select(Review)).one().stage == "closed"


def test_a_channel_the_app_cannot_post_to_is_reported_and_the_lesson_kept(
    bot: Bot, session: Session
) -> None:
    root = closed_review(bot)
    bot.submit(open_share(bot, root), share_values(channels=("G0SECRET", "C0OPS")))
    # A public channel is joined; a private one the app is not in is reported to the sharer.
    assert len(bot.standin.messages("C0OPS")) == 1
    assert bot.standin.messages("G0SECRET") == []
    told = [
        c for c in bot.standin.calls_to("chat.postEphemeral") if c.args.get("user") == "U0ALICE"
    ]
    assert "G0SECRET" in str(told[-1].args)
    assert "/invite" in str(told[-1].args)
    kept = {lesson.channel_id: lesson.message_ts for lesson in session.exec(select(Lesson))}
    assert kept.keys() == {"G0SECRET", "C0OPS"}
    assert kept["G0SECRET"] is None


def test_an_open_review_cannot_be_shared(bot: Bot) -> None:
    root = r.start(bot, what="Checkout broke")
    before = len(bot.standin.open_views)
    r.click(bot, root, Act.SHARE)
    assert len(bot.standin.open_views) == before
    assert "Close the review first" in str(bot.standin.ephemerals("U0ALICE"))


def test_a_review_reopened_while_the_modal_was_open_is_refused_in_the_modal(
    bot: Bot, session: Session
) -> None:
    root = closed_review(bot)
    view = open_share(bot, root)
    r.click(bot, root, Act.REOPEN)
    refused = bot.submit(view, share_values())
    # Answered in the modal, which stays open with what was typed in it.
    assert refused.json()["response_action"] == "errors"
    assert "Close the review first" in refused.json()["errors"][Block.LESSON]
    assert bot.standin.messages("C0LESSONS") == []
    assert session.exec(select(Lesson)).all() == []
