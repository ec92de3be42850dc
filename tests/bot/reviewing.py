"""Steps of a review as a person takes them in Slack, for the wiring tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.slack.ids import Act, Block
from bot.standin import payloads as p
from bot.standin.driver import Bot
from bot.standin.state import TEAM_ID


def start_values(
    *,
    title: str,
    template: str = "miss",
    what: str = "",
    participants: tuple[str, ...] = (),
    options: tuple[str, ...] = (),
) -> dict[str, Any]:
    """state.values of a filled-in start modal."""
    return {
        Block.TITLE: {Block.TITLE: p.text_value(title)},
        Block.TEMPLATE: {Block.TEMPLATE: p.option_value(template)},
        Block.WHAT_HAPPENED: {Block.WHAT_HAPPENED: p.text_value(what or None)},
        Block.PARTICIPANTS: {Block.PARTICIPANTS: p.users_value(list(participants))},
        Block.OPTIONS: {Block.OPTIONS: p.checkboxes_value(list(options))},
    }


def start(
    bot: Bot,
    title: str = "Checkout outage after Friday deploy",
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    team: str = TEAM_ID,
    **fields: Any,
) -> dict[str, Any]:
    """Type /aar, fill in the modal, submit; return the review message posted in the channel."""
    bot.command(title, user=user, channel=channel, team=team)
    values = start_values(title=title, **fields)
    response = bot.submit(bot.last_view(), values, user=user, team=team)
    assert response.status == 200, response.body
    assert not response.body or "errors" not in response.json(), response.body
    roots = [m for m in bot.standin.messages(channel) if m.get("thread_ts") in (None, m["ts"])]
    return roots[-1]


def thread(bot: Bot, root: dict[str, Any], channel: str = "C0GENERAL") -> list[dict[str, Any]]:
    """The review's thread replies (without the review message)."""
    return bot.standin.thread(channel, root["ts"])[1:]


def review_id(root: dict[str, Any]) -> str:
    """The review id carried by the review message's buttons."""
    for block in root["blocks"]:
        for element in block.get("elements", []):
            if element.get("value"):
                return element["value"].split(":")[0]
    raise AssertionError("no button on the review message")


def click(bot: Bot, root: dict[str, Any], act: Act, *, user: str = "U0ALICE", **kw: Any):
    """Click one of the review's buttons as `user`."""
    return bot.click(
        act,
        value=kw.pop("value", review_id(root)),
        user=user,
        channel=kw.pop("channel", "C0GENERAL"),
        message_ts=root["ts"],
        **kw,
    )


def action_values(
    *,
    what: str = "Add a canary stage to the checkout deploy pipeline",
    owner: str | None = "U0BOB",
    review_date: date | None = None,
    criterion: str = "Zero checkout incidents from deploys for 30 days",
    kind: str = "fix",
) -> dict[str, Any]:
    """state.values of a filled-in Add action modal."""
    when = review_date or datetime.now(UTC).date() + timedelta(days=14)
    return {
        Block.WHAT: {Block.WHAT: p.text_value(what)},
        Block.OWNER: {Block.OWNER: p.user_value(owner)},
        Block.REVIEW_DATE: {Block.REVIEW_DATE: p.date_value(when.isoformat())},
        Block.CRITERION: {Block.CRITERION: p.text_value(criterion)},
        Block.KIND: {Block.KIND: p.option_value(kind)},
    }


def add_action(
    bot: Bot,
    root: dict[str, Any],
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    team: str = TEAM_ID,
    **fields: Any,
):
    """Click Add action, pick the owner, submit the modal; return the submission's response."""
    click(bot, root, Act.ADD_ACTION, user=user, channel=channel, team=team)
    owner = fields.get("owner", "U0BOB")
    if owner:
        pick_user(bot, bot.last_view(), Block.OWNER, owner, user=user, team=team)
    return bot.submit(bot.last_view(), action_values(**fields), user=user, team=team)


def pick_user(
    bot: Bot, view: dict[str, Any], block: str, picked: str, *, user: str, team: str = TEAM_ID
):
    """Pick someone in a modal's user select that dispatches its action (as Slack sends it)."""
    body = p.block_actions(
        user_id=user, action_id=block, block_id=block, selected_user=picked, view=view, team_id=team
    )
    response = bot.post_signed(body)
    bot.settle()
    return response


def outcome_values(what: str, met: str | None = "yes", notes: str = "") -> dict[str, Any]:
    """state.values of a filled-in Done (outcome) modal."""
    return {
        Block.OUTCOME: {Block.OUTCOME: p.text_value(what or None)},
        Block.CRITERION_MET: {Block.CRITERION_MET: p.radio_value(met)},
        Block.NOTES: {Block.NOTES: p.text_value(notes or None)},
    }
