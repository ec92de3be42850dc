"""The requests bench/ack.py sends: signed commands, clicks on real reviews, thread replies.

Each request also says which Web API call (or response_url post) of the bot's answers it, as
keys the stand-in's record of calls is matched on (bench/ack.py `match`):
- `("views.open", trigger_id)`: `/aar` alone and the Answer button open a modal;
- `("response_url", name)`: `/aar list` answers through the request's own response_url;
- `("thread", channel, thread_ts)`: Next and Back post in the review's thread;
- `("update", channel, ts)`: a thread reply updates the review message (so do Next and Back,
  which take their share of those updates without being timed by them).
`/aar help` is answered in the ack itself, so it waits for no call.
"""

from __future__ import annotations

import http.client
import itertools
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ack_apps import Process

from bot.slack.ids import Act, Block, View
from bot.standin import payloads as p
from bot.standin.signing import sign_request

KINDS = ("command", "click", "event")
CHANNEL = "C0GENERAL"
FACILITATOR = "U0ALICE"
PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL")
REPLIES = (
    "We expected the deploy to finish before the traffic peak",
    "The rollout took 40 minutes because the canary stage waited on a manual check",
    "We assumed the feature flag kept the new code path off in production",
    "Staging was green and the flag dashboard showed OFF",
    "The flag service had been migrated the day before",
    "It was Bob's fault, he is careless with deploys",  # blame: gets a coaching ephemeral
    "Nobody owned the checklist after the team change",
    "The alert fired but went to a channel nobody watches on Fridays",
    "We rolled back by hand, which took 12 minutes",
    "Next time we check live flag state before every rollout",
)


# --- the requests -------------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    """A review the clicks and replies go to."""

    review_id: int
    message_ts: str
    thread_ts: str


@dataclass
class Traffic:
    """Builds the i-th request: a third each commands, clicks and thread replies."""

    reviews: list[Thread]
    response_url: str
    first_question: str
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def build(self, i: int) -> tuple[str, str, str]:
        """Kind, body and content type of request number `i`."""
        kind, body, content_type, _ = self.build_expecting(i)
        return kind, body, content_type

    def build_expecting(self, i: int) -> tuple[str, str, str, Expect]:
        """Kind, body, content type of request number `i`, and the calls that answer it."""
        kind, n = KINDS[i % 3], i // 3
        if kind == "command":
            text = ("help", "list", "")[n % 3]
            name = f"q{i}-{secrets.token_hex(3)}"
            trigger_id = p.new_trigger_id()
            body = p.slash_command(
                text=text,
                user_id=PEOPLE[n % 3],
                channel_id=CHANNEL,
                response_url=f"{self.response_url}-{name}",
                trigger_id=trigger_id,
            )
            expect: Expect = {
                "help": (),
                "list": ((("response_url", f"{self.response_name}-{name}"), True),),
                "": ((("views.open", trigger_id), True),),
            }[text]
            return kind, body, "form", expect
        review = self.reviews[n % len(self.reviews)]
        step = n // len(self.reviews)
        if kind == "click":
            act = (Act.ANSWER, Act.NEXT, Act.ANSWER, Act.BACK)[step % 4]
            value = str(review.review_id)
            if act == Act.ANSWER:
                value += f":{self.first_question}"
            trigger_id = p.new_trigger_id()
            body = p.block_actions(
                user_id=FACILITATOR,
                action_id=act,
                value=value,
                channel_id=CHANNEL,
                message_ts=review.message_ts,
                response_url=self.response_url,
                trigger_id=trigger_id,
            )
            if act == Act.ANSWER:
                expect = ((("views.open", trigger_id), True),)
            else:
                expect = (
                    (("thread", CHANNEL, review.thread_ts), True),
                    (("update", CHANNEL, review.message_ts), False),
                )
            return kind, body, "form", expect
        serial = next(self._serial)
        event = p.message_event(
            channel=CHANNEL,
            user=PEOPLE[step % 3],
            text=REPLIES[serial % len(REPLIES)],
            ts=f"{int(time.time())}.{serial % 1_000_000:06d}",
            thread_ts=review.thread_ts,
        )
        body = p.event_callback(event, event_id=f"EvBENCH{serial:08d}")
        return kind, body, "json", ((("update", CHANNEL, review.message_ts), True),)

    @property
    def response_name(self) -> str:
        """The stand-in's name for `response_url` (what follows /response/)."""
        return self.response_url.rsplit("/response/", 1)[1]


# A request's answering calls: (key, timed) pairs; see the module docstring.
Expect = tuple[tuple[tuple[str, ...], bool], ...]


@dataclass
class Request:
    """One request sent: its kind, when (time.time()), and the calls that answer it."""

    kind: str
    sent_at: float
    expect: Expect


@dataclass
class Measured:
    """Latencies (seconds) by kind, failures, and the time spent sending."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0
    # CPU seconds the app and the stand-in used in its rounds, its work after the acks included.
    cpu: float = 0.0
    standin_cpu: float = 0.0

    def add(self, other: Measured) -> None:
        """Fold another round in."""
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        self.errors.extend(other.errors)
        self.seconds += other.seconds
        self.requests += other.requests
        self.cpu += other.cpu
        self.standin_cpu += other.standin_cpu


def send(
    port: int,
    secret: str,
    build: Callable[[int], tuple],
    count: int,
    senders: int,
    *,
    interval: float = 0.0,
    record: list[Request] | None = None,
) -> Measured:
    """Send `count` requests from `senders` threads, each on its own keep-alive connection.

    With `interval`, each sender starts a request every `interval` seconds (or as soon as the
    last one is answered, if that is later) instead of at once. With `record`, `build` also
    returns the calls that answer each request (Traffic.build_expecting), and each request is
    appended there.
    """
    result = Measured(requests=count)
    numbers = iter(range(count))
    lock = threading.Lock()

    def sender(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[tuple[str, float]] = []
        failed: list[str] = []
        sent: list[Request] = []
        next_at = time.monotonic() + interval * number / senders
        for i in numbers:  # a shared iterator: each request number is taken once
            if interval:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            kind, body, content_type, *expect = build(i)
            headers = sign_request(body, secret, content_type=content_type)
            data = body.encode()
            if record is not None:
                sent.append(Request(kind, time.time(), expect[0]))
            started = time.perf_counter()
            try:
                conn.request("POST", "/slack/events", data, headers)
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException) as err:
                failed.append(f"{kind}: {type(err).__name__}: {err}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((kind, time.perf_counter() - started))
            if status != 200:
                failed.append(f"{kind}: HTTP {status}")
        conn.close()
        with lock:
            for kind, seconds in mine:
                result.latencies[kind].append(seconds)
            result.errors.extend(failed)
            if record is not None:
                record.extend(sent)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def post(port: int, secret: str, body: str, content_type: str = "form") -> int:
    """One signed POST to /slack/events; the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            "/slack/events",
            body.encode(),
            sign_request(body, secret, content_type=content_type),
        )
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def start_reviews(bot: Process, secret: str, database_url: str, count: int, response_url: str):
    """Start `count` reviews through the bot (/aar, then the modal), one after the other."""
    from sqlmodel import Session, col, select

    from bot.slack.blocks.modals import metadata
    from storage.db import make_engine
    from storage.models import Review

    engine = make_engine(database_url)
    try:
        for n in range(1, count + 1):
            title = f"Checkout outage after deploy {n}"
            command = p.slash_command(
                text=title, user_id=FACILITATOR, channel_id=CHANNEL, response_url=response_url
            )
            values = {
                Block.TITLE: {Block.TITLE: p.text_value(title)},
                Block.TEMPLATE: {Block.TEMPLATE: p.option_value("miss")},
                Block.WHAT_HAPPENED: {Block.WHAT_HAPPENED: p.text_value("Errors for 40 min")},
                Block.PARTICIPANTS: {Block.PARTICIPANTS: p.users_value(["U0BOB", "U0CAROL"])},
                Block.OPTIONS: {Block.OPTIONS: p.checkboxes_value([])},
            }
            submit = p.view_submission(
                user_id=FACILITATOR,
                callback_id=View.START,
                values=values,
                private_metadata=metadata(channel=CHANNEL),
            )
            for body in (command, submit):
                if (status := post(bot.port, secret, body)) != 200:
                    bot.fail(f"starting review {n}: the bot answered HTTP {status}")
            deadline = time.monotonic() + 30
            while True:
                with Session(engine) as session:
                    posted = session.exec(
                        select(Review).where(col(Review.thread_ts).is_not(None))
                    ).all()
                if len(posted) >= n:
                    # Let its work after the ack finish, so the setup does not overlap.
                    bot.wait_idle()
                    break
                if time.monotonic() > deadline:
                    bot.fail(f"review {n} was not posted within 30 s")
                time.sleep(0.05)
    finally:
        engine.dispose()
    return [Thread(r.id, r.message_ts, r.thread_ts) for r in sorted(posted, key=lambda r: r.id)]
