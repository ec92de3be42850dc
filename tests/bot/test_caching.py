"""users.info and conversations.info are asked once, and a burst of work rides out 429s."""

from __future__ import annotations

import threading

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.slack.channels import ChannelCache
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from storage.models import Review
from tests.bot import reviewing as r


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(standin: SlackStandIn, token: str = "xoxb-test-token") -> WebClient:  # noqa: S107
    return WebClient(token=token, base_url=standin.base_url)


def _asked(standin: SlackStandIn) -> int:
    return len(standin.calls_to("conversations.info"))


# --- the cache itself ----------------------------------------------------------------------


def test_an_answer_is_reused_until_its_ttl_is_over(standin: SlackStandIn) -> None:
    clock = Clock()
    cache = ChannelCache(ttl=60, clock=clock)
    client = _client(standin)
    assert cache.info(client, "C0GENERAL")["id"] == "C0GENERAL"
    clock.now += 59
    cache.info(client, "C0GENERAL")
    assert _asked(standin) == 1
    clock.now += 2
    cache.info(client, "C0GENERAL")
    assert _asked(standin) == 2
    cache.info(client, "C0GENERAL", fresh=True)
    assert _asked(standin) == 3


def test_the_cache_is_bounded_least_recently_used_first(standin: SlackStandIn) -> None:
    standin.add_channel("C0OPS", "ops")
    standin.add_channel("C0DEV", "dev")
    cache = ChannelCache(max_entries=2)
    client = _client(standin)
    cache.info(client, "C0GENERAL")
    cache.info(client, "C0OPS")
    cache.info(client, "C0GENERAL")  # used again: C0OPS is now the oldest
    cache.info(client, "C0DEV")
    assert len(cache) == 2
    assert cache.cached(client, "C0OPS") is None
    assert cache.cached(client, "C0GENERAL") is not None


def test_each_token_has_its_own_answers_and_forget_drops_a_channel(
    standin: SlackStandIn,
) -> None:
    cache = ChannelCache()
    one, other = _client(standin), _client(standin, "xoxb-another-token")
    cache.info(one, "C0GENERAL")
    assert cache.cached(other, "C0GENERAL") is None
    cache.info(other, "C0GENERAL")
    cache.forget("C0GENERAL")
    assert cache.cached(one, "C0GENERAL") is None
    assert cache.cached(other, "C0GENERAL") is None


def test_many_threads_share_the_cache_safely(standin: SlackStandIn) -> None:
    channels = [f"C0CH{n}" for n in range(12)]
    for channel in channels:
        standin.add_channel(channel, channel.lower())
    cache = ChannelCache(max_entries=8)
    client = _client(standin)
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(3):
                for channel in channels:
                    assert cache.info(client, channel)["id"] == channel
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures
    assert len(cache) == 8


# --- through the app -------------------------------------------------------------------------


def test_reviews_in_one_channel_ask_conversations_info_once(bot: Bot) -> None:
    for n in range(4):
        r.start(bot, f"Review number {n}")
    assert _asked(bot.standin) == 1


def test_a_channel_the_app_is_not_in_is_asked_again_until_it_is_invited(bot: Bot) -> None:
    bot.standin.add_channel("G0SECRET", "secret", is_private=True, bot_member=False)
    for title in ("First", "Second"):
        bot.command(title, channel="G0SECRET")
        bot.submit(bot.last_view(), r.start_values(title=title))
    assert _asked(bot.standin) == 2  # "not a member" is never taken from the cache


def test_an_owner_is_looked_up_once_for_many_actions(bot: Bot) -> None:
    root = r.start(bot)
    for n in range(3):
        response = r.add_action(bot, root, what=f"Add check number {n}", owner="U0BOB")
        assert not response.body, response.body
    assert len(bot.standin.calls_to("users.info")) == 1


def test_a_burst_of_reviews_rides_out_rate_limits_and_asks_nothing_twice(
    bot: Bot, session: Session
) -> None:
    r.start(bot, "The first review")
    asked = _asked(bot.standin)
    # Slack rate-limits the next posts (429 with Retry-After) while five reviews start at once.
    bot.standin.fail_next("chat.postMessage", status=429, retry_after=0, times=3)
    for n in range(5):
        bot.command(f"Burst review {n}")
        view = bot.last_view()
        body = p.view_submission(
            user_id="U0ALICE",
            callback_id=view["callback_id"],
            values=r.start_values(title=f"Burst review {n}"),
            private_metadata=view["private_metadata"],
        )
        assert bot.post_signed(body).status == 200  # not settled: they post side by side
    bot.settle()
    session.rollback()
    reviews = session.exec(select(Review)).all()
    assert len(reviews) == 6
    assert all(review.message_ts for review in reviews)
    assert len([c for c in bot.standin.calls_to("chat.postMessage") if c.status == 429]) == 3
    assert _asked(bot.standin) == asked  # the channel came from the cache every time
    titles = " ".join(m["text"] for m in bot.standin.messages("C0GENERAL"))
    for n in range(5):
        assert f"Burst review {n}" in titles
