"""`/aar stats [days]` through the real app: an ephemeral answer, filtered by who is asking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.slack.ids import Option
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from storage.models import Review
from tests.bot import reviewing as r
from tests.bot.homes import known

LEAD = "U0LEAD"


@pytest.fixture
def app(make_bot, standin: SlackStandIn) -> Bot:
    """The app with one lead, U0LEAD."""
    standin.add_user(LEAD, "lea")
    return make_bot(leads=(LEAD,))


def _ask(
    bot: Bot,
    text: str = "",
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    body: str | None = None,
) -> dict:
    """Run `/aar stats <text>`; return the one ephemeral answer it posted to the response_url."""
    before = len(bot.standin.responses)
    if body is None:
        response = bot.command(f"stats {text}".strip(), user=user, channel=channel)
    else:
        response = bot.post_signed(body)
        bot.settle()
    assert response.status == 200
    assert not response.body, response.body  # acked at once; the figures follow
    posted = bot.standin.responses[before:]
    assert len(posted) == 1, posted
    assert posted[0]["ok"], posted[0]
    assert posted[0]["response_type"] == "ephemeral"
    return posted[0]["body"]


def _scopes(answer: dict) -> dict[str, dict[str, str]]:
    """{scope heading: {figure: value}} read back from the answer's blocks."""
    scopes: dict[str, dict[str, str]] = {}
    heading = ""
    for block in answer["blocks"]:
        if block["type"] != "section":
            continue
        if "fields" in block:
            scopes[heading] = dict(
                f["text"].removeprefix("*").split("*\n", 1) for f in block["fields"]
            )
        else:
            heading = block["text"]["text"].split(" · ")[0].strip("*")
            scopes[heading] = {"note": block["text"]["text"]}
    return scopes


def _note(answer: dict) -> str:
    return answer["blocks"][-1]["elements"][0]["text"]


def test_stats_answer_privately_for_the_channel_and_the_workspace(
    app: Bot, session: Session
) -> None:
    general = r.start(app, "Checkout outage after Friday deploy", participants=("U0BOB",))
    r.start(app, "Launch went smoothly", template="success")
    r.start(app, "Pager storm at night", channel="C0OPS")
    known(session, "U0BOB")
    response = r.add_action(app, general, what="Add a canary stage", owner="U0BOB")
    assert not response.body, response.body

    answer = _ask(app)
    scopes = _scopes(answer)
    channel, workspace = scopes["<#C0GENERAL>"], scopes["Whole workspace"]
    assert channel["Reviews"] == "2"
    assert workspace["Reviews"] == "3"
    assert workspace["By template"] == (
        "After-action review of a miss 2 · Don't let a success go to waste 1"
    )
    assert channel["By gap type"] == "Not classified 2"
    assert channel["Repeat rate"] == "0% (0 of 2)"
    assert channel["Overdue actions"] == "0"
    assert channel["Actions done by their review date"] == "–"  # nothing due or done yet
    assert channel["Average action specificity"].endswith(" of 4")
    assert "last 90 days" in answer["blocks"][0]["text"]["text"]
    assert answer["text"].startswith("After-action review stats, last 90 days: 2 reviews")


@pytest.mark.parametrize("days", ["banana", "0", "-3", "3651", "12 34", "1.5"])
def test_a_bad_number_of_days_gets_the_usage_line(app: Bot, days: str) -> None:
    before = len(app.standin.responses)
    response = app.command(f"stats {days}")
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("Usage: `/aar stats [days]`")
    assert len(app.standin.responses) == before


def test_days_set_the_window(app: Bot, session: Session) -> None:
    r.start(app, "Old outage")
    r.start(app, "New outage")
    old = session.exec(select(Review).where(Review.title == "Old outage")).one()
    old.created_at -= timedelta(days=40)
    session.commit()
    assert _scopes(_ask(app, "30"))["Whole workspace"]["Reviews"] == "1"
    assert _scopes(_ask(app, "30d"))["Whole workspace"]["Reviews"] == "1"
    assert _scopes(_ask(app))["Whole workspace"]["Reviews"] == "2"
    assert "last 30 days" in _ask(app, "30 days")["blocks"][0]["text"]["text"]


def _confidential_and_open(bot: Bot) -> None:
    r.start(bot, "Checkout outage after Friday deploy")
    r.start(
        bot,
        "Payroll export leaked",
        participants=("U0BOB",),
        options=(Option.CONFIDENTIAL,),
    )


def test_confidential_reviews_count_only_for_their_people_and_leads(app: Bot) -> None:
    _confidential_and_open(app)

    carol = _ask(app, user="U0CAROL")
    assert _scopes(carol)["Whole workspace"]["Reviews"] == "1"
    assert _scopes(carol)["<#C0GENERAL>"]["Reviews"] == "1"
    # The same words whether or not there are any: no count, no hint of when.
    assert _note(carol).startswith("Confidential reviews you are not part of are not counted.")
    assert "Payroll" not in str(carol)

    bob = _ask(app, user="U0BOB")  # a participant
    assert _scopes(bob)["Whole workspace"]["Reviews"] == "2"

    lead = _ask(app, user=LEAD)
    assert _scopes(lead)["Whole workspace"]["Reviews"] == "2"
    assert _note(lead).startswith("As a lead you see every review; 1 confidential review counted")


def test_a_non_member_gets_the_same_note_when_there_is_nothing_confidential(app: Bot) -> None:
    r.start(app, "Checkout outage after Friday deploy")
    assert _note(_ask(app, user="U0CAROL")).startswith(
        "Confidential reviews you are not part of are not counted."
    )


def test_another_workspace_sees_none_of_this_one(app: Bot) -> None:
    _confidential_and_open(app)
    body = p.slash_command(
        text="stats",
        user_id=LEAD,
        channel_id="C0GENERAL",
        team_id="T0OTHER",
        response_url=app.standin.response_url("other-team"),
    )
    scopes: dict[str, Any] = _scopes(_ask(app, body=body))
    assert "No reviews started in that time." in scopes["Whole workspace"]["note"]
    assert "No reviews started in that time." in scopes["<#C0GENERAL>"]["note"]


def test_in_a_dm_with_the_app_only_the_workspace_is_counted(app: Bot) -> None:
    r.start(app, "Checkout outage after Friday deploy")
    answer = _ask(app, channel="D0ALICE")
    assert list(_scopes(answer)) == ["Whole workspace"]
    assert answer["text"] == "After-action review stats, last 90 days: 1 review in the workspace."


def test_help_lists_stats(app: Bot) -> None:
    assert "/aar stats [days]" in app.command("help").json()["text"]
