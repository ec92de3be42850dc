"""`/aar search` through the real app: ephemeral results with links, escaped text."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.slack.ids import Option
from bot.standin.driver import Bot
from storage.models import Review
from tests.bot import reviewing as r


def _answer(bot: Bot, text: str, **kwargs) -> tuple[dict, str]:
    response = bot.command(f"search {text}", **kwargs)
    assert response.status == 200
    assert not response.body  # searching is work for after the ack; the answer comes after
    answer = bot.standin.responses[-1]
    assert answer["ok"], answer
    assert answer["response_type"] == "ephemeral"
    body = answer["body"]
    return body, json.dumps(body["blocks"], ensure_ascii=False)


def test_search_lists_matching_reviews_with_links_and_channels(bot: Bot, session: Session) -> None:
    r.start(bot, "Database failover took an hour", what="The replica was not promoted.")
    r.start(bot, "Checkout outage after Friday deploy", what="Payments failed for ten minutes.")
    body, shown = _answer(bot, "replica failover")
    review = session.exec(select(Review).where(Review.title.startswith("Database"))).one()
    assert review.permalink
    assert f"<{review.permalink}|Database failover took an hour>" in shown
    assert "<#C0GENERAL>" in shown
    assert "Checkout outage" not in shown
    assert "replica failover" in body["text"]


def test_user_text_in_results_is_escaped(bot: Bot) -> None:
    r.start(bot, "Alerts <!channel> & <http://evil.example|pager> broke", what="pager storm")
    _, shown = _answer(bot, "pager <!here>")
    assert "&lt;!channel&gt; &amp; &lt;http://evil.example|pager&gt;" in shown
    assert "<!channel>" not in shown
    assert "<!here>" not in shown
    assert "<http://evil.example" not in shown


def test_no_match_and_no_words_get_a_helpful_answer(bot: Bot) -> None:
    r.start(bot, "Database failover took an hour")
    body, _ = _answer(bot, 'zeppelin "OR*')
    assert body["text"].startswith("No past reviews match")
    response = bot.command("search")
    assert response.json()["response_type"] == "ephemeral"
    assert "search database failover" in response.json()["text"]


def test_confidential_reviews_show_only_to_their_people_and_leads(bot: Bot, make_bot) -> None:
    r.start(
        bot,
        "Payroll export leaked",
        what="The payroll file went to the wrong bucket.",
        participants=("U0BOB",),
        options=(Option.CONFIDENTIAL,),
    )
    assert "Payroll export leaked" in _answer(bot, "payroll", user="U0BOB")[1]
    body, shown = _answer(bot, "payroll", user="U0CAROL")
    assert "Payroll" not in shown
    assert body["text"].startswith("No past reviews match")
    # A lead who is not in it finds it.
    lead_bot = make_bot(leads=("U0CAROL",))
    assert "Payroll export leaked" in _answer(lead_bot, "payroll", user="U0CAROL")[1]
