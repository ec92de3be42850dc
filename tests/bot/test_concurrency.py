"""Ten reviews at once on one database: nobody is ever told something went wrong.

Ten facilitators run a whole review each, in their own channel, at the same time: the /aar
modal, thread replies, Next clicks, the gap type, an Add action submission, Close. Every
request is a signed request to the real app, from ten threads at once, and each person waits
for what they would wait for in Slack (their modal, the next question) before going on. On
SQLite every write transaction begins with BEGIN IMMEDIATE (storage/db.py), so a writer that
meets another waits its turn on the busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.jobs.workers import OutboxWorkers
from bot.slack.ids import Act, Block
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from bot.standin.events import event_callback, message_event
from storage.models import Action, Answer, Review
from tests.bot import reviewing as r

REVIEWS = 10
ANSWERS = [
    "Checkout stays up through the Friday deploy",
    "Checkout returned 500s for 40 minutes after the 16:00 deploy",
    "We assumed the feature flag kept the new code path off",
    "The staging dashboard was green and the flag showed OFF",
    "The flag service had been migrated on Thursday",
    "Deploys do not check flag state in production before rollout",
]
APOLOGIES = ("something went wrong", "Sorry", "One moment", "try again", "database is locked")
WAIT = 60.0


def _wait(what: str, found: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


class Person:
    """One facilitator running one review in their own channel, as they would in Slack."""

    def __init__(self, bot: Bot, engine: Engine, number: int) -> None:
        self.bot, self.engine, self.n = bot, engine, number
        self.user, self.channel, self.owner = f"U0FAC{number}", f"C0REV{number}", f"U0OWN{number}"
        self.steps = 0
        self.refused: list[str] = []  # what a valid submission was answered with, if not 200 ok
        self.root: dict[str, Any] = {}
        self.review_id = 0

    def _name(self, kind: str) -> str:
        self.steps += 1
        return f"{kind}-{self.n}-{self.steps}"

    def _submit(self, view: dict[str, Any], values: dict[str, Any]) -> None:
        body = p.view_submission(
            user_id=self.user,
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view.get("private_metadata", ""),
            view_id=view.get("id"),
            blocks=view.get("blocks"),
        )
        response = self.bot.post_signed(body)
        if response.status != 200 or response.body:
            self.refused.append(f"{view['callback_id']}: {response.status} {response.body!r}")

    def _shown_value(self, act: str) -> str:
        """The value of the newest button `act` the review shows, as a click would carry it."""
        for message in reversed(self._thread()):
            for block in message.get("blocks") or []:
                for element in block.get("elements", []):
                    if element.get("action_id") == act and element.get("value"):
                        return element["value"]
        raise AssertionError(f"no {act} button in review {self.n}")

    def _click(self, act: str, **fields: Any) -> str:
        trigger = self._name("trigger")
        body = p.block_actions(
            user_id=self.user,
            action_id=act,
            value=fields.pop("value") if "value" in fields else self._shown_value(act),
            channel_id=self.channel,
            message_ts=self.root["ts"],
            trigger_id=trigger,
            response_url=self.bot.standin.response_url(
                self._name("r"), channel=self.channel, user=self.user
            ),
            **fields,
        )
        response = self.bot.post_signed(body)
        assert response.status == 200, response.body
        return trigger

    def _thread(self) -> list[dict[str, Any]]:
        return self.bot.standin.thread(self.channel, self.root["ts"])

    def _count(self, model: type, *where: Any) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

    def _stored_answers(self) -> int:
        return self._count(Answer, Answer.review_id == self.review_id)

    def start(self) -> None:
        trigger = self._name("trigger")
        body = p.slash_command(
            text=f"Checkout outage {self.n}",
            user_id=self.user,
            channel_id=self.channel,
            trigger_id=trigger,
            response_url=self.bot.standin.response_url(
                self._name("cmd"), channel=self.channel, user=self.user
            ),
        )
        assert self.bot.post_signed(body).status == 200
        view = _wait("the start modal", lambda: self.bot.standin.view_opened_by(trigger))
        self._submit(view, r.start_values(title=f"Checkout outage {self.n}", what="It broke"))
        self.root = _wait("the review message", self._root)
        self.review_id = int(r.review_id(self.root))

    def _root(self) -> dict[str, Any] | None:
        roots = [
            m
            for m in self.bot.standin.messages(self.channel)
            if m.get("thread_ts") in (None, m["ts"]) and m.get("blocks")
        ]
        return roots[0] if roots else None

    def reply(self, text: str) -> None:
        before = self._stored_answers()
        message = self.bot.standin.add_message(
            self.channel, self.user, text, thread_ts=self.root["ts"]
        )
        event = message_event(
            channel=self.channel,
            user=self.user,
            text=text,
            ts=message["ts"],
            thread_ts=self.root["ts"],
        )
        response = self.bot.post_signed(event_callback(event), json_body=True)
        assert response.status == 200
        _wait("the reply to be stored", lambda: self._stored_answers() > before)

    def next(self, **fields: Any) -> None:
        before, shown = len(self._thread()), self._shown_value(Act.NEXT)
        self._click(Act.NEXT, **fields)
        _wait("the next question", lambda: len(self._thread()) > before)
        # ...and the review message showing it (its Next button carries the question).
        _wait("the review message to move on", lambda: self._shown_value(Act.NEXT) != shown)

    def add_action(self) -> None:
        before = self._count(Action, Action.review_id == self.review_id)
        trigger = self._click(Act.ADD_ACTION)
        view = _wait("the action modal", lambda: self.bot.standin.view_opened_by(trigger))
        pick = p.block_actions(
            user_id=self.user,
            action_id=Block.OWNER,
            block_id=Block.OWNER,
            selected_user=self.owner,
            view=view,
        )
        assert self.bot.post_signed(pick).status == 200
        self.bot.settle()  # a person takes a moment to fill in the rest
        self._submit(view, r.action_values(owner=self.owner))
        _wait(
            "the action",
            lambda: self._count(Action, Action.review_id == self.review_id) > before,
        )

    def close(self) -> None:
        self._click(Act.CLOSE)
        _wait("the summary", lambda: "Summary" in json.dumps(self._thread()[-1]))

    def run_review(self) -> None:
        self.start()
        for number, text in enumerate(ANSWERS, start=1):
            self.reply(text)
            if number < len(ANSWERS):
                self.next()
        self._click(
            Act.GAP_TYPE,
            value=None,
            selected_option="process",
            block_id=f"q:{self.review_id}:root_cause",
        )
        _wait("the gap type", self._gap_stored)
        self.next()
        self.add_action()
        self.next()
        self.reply("Check live flag state before every rollout")
        self.close()

    def _gap_stored(self) -> bool:
        with Session(self.engine) as session:
            return session.get(Review, self.review_id).gap_type == "process"


def _said_by_the_bot(standin: SlackStandIn) -> list[str]:
    said = [json.dumps(m) for m in standin.ephemerals()]
    said += [json.dumps(r["body"]) for r in standin.responses]
    for call in standin.calls_to("chat.postMessage"):
        said.append(json.dumps(call.args))
    return said


def test_ten_concurrent_reviews_never_meet_an_error(
    bot: Bot, engine: Engine, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    people = [Person(bot, engine, n) for n in range(REVIEWS)]
    for person in people:
        standin.add_user(person.user, f"facilitator.{person.n}", tz="Europe/Berlin")
        standin.add_user(person.owner, f"owner.{person.n}", tz="America/New_York")
        standin.add_channel(person.channel, f"review-{person.n}", members=(person.user,))
    failures: list[str] = []
    together = threading.Barrier(REVIEWS)

    def run(person: Person) -> None:
        try:
            together.wait(10)
            person.run_review()
        except BaseException as err:  # reported by the assertion below
            told = [e.get("text") for e in standin.ephemerals(person.user)]
            failures.append(f"review {person.n}: {type(err).__name__}: {err}; told {told}")

    threads = [threading.Thread(target=run, args=(person,)) for person in people]
    # The work after each ack runs as in `aarbot run`: outbox workers beside the HTTP threads.
    workers = OutboxWorkers(bot.deps, threads=4).start()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    finally:
        workers.stop()
    bot.settle()

    tracebacks = [rec for rec in caplog.records if rec.exc_info or rec.levelno >= logging.ERROR]
    apologies = [text for text in _said_by_the_bot(standin) if any(a in text for a in APOLOGIES)]
    refused = [refusal for person in people for refusal in person.refused]
    print(
        f"\n{REVIEWS} concurrent reviews: {len(tracebacks)} errors logged, "
        f"{len(apologies)} apologies, {len(refused)} valid submissions refused"
    )
    assert failures == []
    assert [f"{rec.name}: {rec.getMessage()}" for rec in tracebacks] == []
    assert apologies == []
    assert refused == []
    with Session(engine) as session:
        closed = session.exec(select(Review).where(Review.stage == "closed")).all()
        assert len(closed) == REVIEWS
        assert session.exec(select(func.count()).select_from(Action)).one() == REVIEWS
        answers = session.exec(select(func.count()).select_from(Answer)).one()
        # what happened (from the modal), the thread replies and the lesson
        assert answers == REVIEWS * (1 + len(ANSWERS) + 1)
