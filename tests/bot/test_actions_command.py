"""`/aar actions`: my open actions, privately, with the nudge's Done / Reschedule / Drop."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from bot.slack.ids import Act
from bot.standin.driver import Bot
from storage.models import Action
from tests.bot import reviewing as r


def _actions(bot: Bot, user: str) -> tuple[dict[str, Any], str]:
    response = bot.command("actions", user=user)
    assert response.status == 200
    assert not response.body  # the list is read after the ack
    answer = bot.standin.responses[-1]
    assert answer["response_type"] == "ephemeral"
    return answer["body"], json.dumps(answer["body"].get("blocks", []), ensure_ascii=False)


def _owned_action(bot: Bot, **fields: Any) -> None:
    root = r.start(bot, what="Checkout broke")
    for _ in range(2):  # the owner may still be being looked up: press Add action again
        response = r.add_action(bot, root, **fields)
        if not response.body or "errors" not in response.json():
            return
    raise AssertionError(response.body)


def test_someone_with_no_actions_is_told_so(bot: Bot) -> None:
    body, _ = _actions(bot, "U0CAROL")
    assert "no open actions" in body["text"]


def test_the_owner_sees_their_open_actions_with_the_nudge_buttons(bot: Bot) -> None:
    _owned_action(bot, what="Add a canary stage <!channel>", owner="U0BOB")
    _owned_action(bot, what="Write the flag checklist", owner="U0CAROL")
    body, shown = _actions(bot, "U0BOB")
    assert "Add a canary stage &lt;!channel&gt;" in shown
    assert "Write the flag checklist" not in shown
    assert body["text"] == "Your open actions: 1"
    for act in (Act.NUDGE_DONE, Act.NUDGE_RESCHEDULE, Act.NUDGE_DROP):
        assert act in shown


def test_done_from_the_list_completes_the_action(bot: Bot, session: Session) -> None:
    _owned_action(bot, owner="U0BOB")
    action = session.exec(select(Action)).one()
    _actions(bot, "U0BOB")
    updates_before = len(bot.standin.calls_to("chat.update"))
    bot.click(
        Act.NUDGE_DONE,
        value=str(action.id),
        user="U0BOB",
        channel="C0GENERAL",
        message_ts="1799999999.000001",
        ephemeral=True,
    )
    outcome = r.outcome_values("No incidents since")
    assert bot.submit(bot.last_view(), outcome, user="U0BOB").status == 200
    session.rollback()
    assert session.get(Action, action.id).status == "done"
    # Slack cannot update an ephemeral message: only the review message was updated.
    updated = [c.args.get("ts") for c in bot.standin.calls_to("chat.update")[updates_before:]]
    assert "1799999999.000001" not in updated
    _actions(bot, "U0BOB")
    assert "no open actions" in json.dumps(bot.standin.responses[-1]["body"])
