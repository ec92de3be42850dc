"""Hostile bodies, correctly signed: a malformed one gets 400 and one log line without the body,
and nobody is messaged; text with NUL or lone surrogates is cleaned and stored, never dropped;
an apology goes only to the verified user of a verified request, and says "it is stored"
only when the user's input was committed.

The fuzz test sends hundreds of generated bodies to `aarbot run --http` as Slack would sign
them, each naming users, channels and a response_url on a second local server; none may get
a 5xx, log a traceback or the body, message anyone at the stand-in, or reach that server.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltRequest
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.slack import errors, shapes
from bot.slack.ids import Act, Block, View
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot
from bot.standin.signing import sign_request
from bot.standin.state import TEAM_ID
from flows import review as rules
from storage.models import Answer, Review
from tests.bot import reviewing as r
from tests.bot.listening import HOSTILE_MARK, hostile_server
from tests.bot.processes import post, run_http, wait_healthy
from tests.conftest import SIGNING_SECRET


@pytest.fixture
def hostile() -> Iterator[tuple[str, list[str]]]:
    """A second local server the bodies point response_url at; what it heard."""
    with hostile_server() as server:
        yield server


MESSAGING = ("chat.", "views.", "conversations.open", "reactions.", "files.")


def _messages(standin: SlackStandIn) -> list[Any]:
    """Calls that would show anyone anything (auth.test and lookups are not)."""
    return [c for c in standin.calls if c.method.startswith(MESSAGING)]


def _refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [rec for rec in caplog.records if "body is malformed" in rec.getMessage()]


# --- Malformed bodies, one of each kind --------------------------------------------------


def _payload_form(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _click(**changes: Any) -> dict[str, Any]:
    body = json.loads(
        dict(
            parse_qsl(
                p.block_actions(
                    user_id="U0ALICE",
                    action_id=Act.NEXT,
                    value="1:0",
                    channel_id="C0GENERAL",
                    message_ts="1700000000.000100",
                    response_url="http://127.0.0.1:9/hook",
                )
            )
        )["payload"]
    )
    body.update(changes)
    return body


MALFORMED = {
    "payload that is not JSON": urlencode(
        {"payload": '{"type": "block_actions", "user": ' + HOSTILE_MARK}
    ),
    "payload that is a list": _payload_form([HOSTILE_MARK]),
    "unknown payload type": _payload_form(_click(type="interactive_message")),
    "user id of the wrong type": _payload_form(_click(user={"id": 12345})),
    "actions that are not a list": _payload_form(_click(actions=HOSTILE_MARK)),
    "an absurd user id": _payload_form(_click(user={"id": "U" + "9" * 5000})),
    "an id with markup": _payload_form(_click(user={"id": f"<!channel>{HOSTILE_MARK}"})),
    "deep nesting": urlencode(
        {"payload": json.dumps(_click())[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"}
    ),
    "a command without a user": urlencode(
        {"command": "/aar", "team_id": TEAM_ID, "text": HOSTILE_MARK, "channel_id": "C0GENERAL"}
    ),
    "a command with a list for text": "command=/aar&team_id=T0TEST&user_id=U0ALICE"
    "&channel_id=C0GENERAL&response_url=http://127.0.0.1:9/x&trigger_id=1.2.3&text=a&text=b"
    f"&{HOSTILE_MARK}",
    "an event of a kind aarbot does not take": json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "event_id": "Ev0HOSTILE",
            "event": {"type": "reaction_added", "user": "U0ALICE", "x": HOSTILE_MARK},
        }
    ),
    "an event whose text is a number": json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "event_id": "Ev0HOSTILE2",
            "event": {"type": "message", "channel": "C0GENERAL", "ts": "1.2", "text": 7},
        }
    ),
    "a JSON body that is a string": json.dumps(HOSTILE_MARK),
    "a modal whose metadata is not ours": _payload_form(
        {
            "type": "view_submission",
            "team": {"id": TEAM_ID},
            "user": {"id": "U0ALICE"},
            "view": {
                "id": "V0HOSTILE",
                "callback_id": View.ANSWER,
                "private_metadata": json.dumps({"review": [HOSTILE_MARK]}),
                "state": {"values": {}},
            },
        }
    ),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_signed_body_gets_400_one_log_line_and_nobody_is_messaged(
    bot: Bot, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG)
    body = MALFORMED[kind]
    response = bot.post_signed(body, json_body=body.startswith(("{", '"')))
    bot.settle()
    assert response.status == 400, response.body
    assert len(_refusals(caplog)) == 1
    assert HOSTILE_MARK not in caplog.text
    assert "Traceback" not in caplog.text
    assert _messages(bot.standin) == []
    assert bot.standin.responses == []


def test_a_signed_body_of_the_right_shape_still_goes_through(bot: Bot, session: Session) -> None:
    """The shapes refuse what Slack never sends, not what it does: a whole review works."""
    root = r.start(bot, what="The deploy broke checkout")
    bot.reply("We skipped the canary", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    r.click(bot, root, Act.NEXT)
    assert r.add_action(bot, root).status == 200
    session.commit()
    assert session.exec(select(Review)).one().question_index == 1
    assert len(session.exec(select(Answer)).all()) == 2


def test_a_clean_body_reaches_bolt_as_slack_sent_it_and_a_cleaned_one_re_serialized() -> None:
    click = p.block_actions(
        user_id="U0ALICE",
        action_id=Act.NEXT,
        value="1:0",
        channel_id="C0GENERAL",
        message_ts="1700000000.000100",
        response_url="https://hooks.slack.com/actions/T0/1/x",
    )
    command = p.slash_command(
        text="help", user_id="U0ALICE", channel_id="C0GENERAL", response_url="https://h.test/x"
    )
    event = p.event_callback(
        p.message_event(channel="C0GENERAL", user="U0BOB", text="hi", ts="1700000000.000200")
    )
    for body, content_type in ((click, None), (command, None), (event, "application/json")):
        assert shapes.check(body, content_type) == body
    dirty = event.replace('"text": "hi"', '"text": "h\\u0000i \\ud800"')
    assert dirty != event
    cleaned = json.loads(shapes.check(dirty, "application/json"))
    assert cleaned["event"]["text"] == "hi \ufffd"


# --- NUL and lone surrogates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("We skipped\x00 the canary", "We skipped the canary"),
        ("We skipped \ud800the canary", "We skipped \ufffdthe canary"),
    ],
    ids=["nul", "lone surrogate"],
)
def test_a_thread_reply_with_nul_or_a_lone_surrogate_is_stored_cleaned(
    bot: Bot, session: Session, typed: str, stored: str
) -> None:
    root = r.start(bot)
    message = bot.standin.add_message("C0GENERAL", "U0BOB", "placeholder", thread_ts=root["ts"])
    event = p.message_event(
        channel="C0GENERAL", user="U0BOB", text=typed, ts=message["ts"], thread_ts=root["ts"]
    )
    # JSON, as Slack sends events: the NUL and the surrogate arrive as \u escapes.
    response = bot.event(event)
    assert response.status == 200
    session.commit()
    assert [a.text for a in session.exec(select(Answer))] == [stored]
    assert not [e for e in bot.standin.ephemerals() if "Sorry" in (e.get("text") or "")]


def test_url_encoded_nul_and_surrogates_are_cleaned_and_stored(bot: Bot, session: Session) -> None:
    root = r.start(bot)
    r.click(bot, root, Act.ANSWER, value=f"{r.review_id(root)}:expected")
    view = bot.last_view()
    values = {Block.ANSWER: {Block.ANSWER: p.text_value("Up\x00 all \udfffevening")}}
    body = p.view_submission(
        user_id="U0ALICE",
        callback_id=view["callback_id"],
        values=values,
        private_metadata=view["private_metadata"],
        view_id=view["id"],
    )
    assert "%5Cu0000" in body  # a JSON \u escape inside the form's URL-encoded payload
    assert bot.post_signed(body).status == 200
    bot.settle()
    session.commit()
    assert [a.text for a in session.exec(select(Answer))] == ["Up all \ufffdevening"]

    # In a slash command's form a NUL is %00, and a surrogate's UTF-8 bytes are invalid.
    command = p.slash_command(
        text="Title",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        response_url=bot.standin.response_url("cmd"),
    ).replace("text=Title", "text=Checkout%00+outage%ED%A0%80")
    assert bot.post_signed(command).status == 200
    bot.settle()
    title = next(b for b in bot.last_view()["blocks"] if b.get("block_id") == Block.TITLE)
    assert title["element"]["initial_value"].startswith("Checkout outage")
    assert "\x00" not in title["element"]["initial_value"]


# --- Apologies ---------------------------------------------------------------------------


def test_an_apology_goes_only_to_the_verified_user_of_a_verified_request(
    standin: SlackStandIn, hostile: tuple[str, list[str]]
) -> None:
    hostile_url, heard = hostile
    body = json.loads(
        dict(
            parse_qsl(
                p.block_actions(
                    user_id="U0ALICE",
                    action_id=Act.NEXT,
                    value="1",
                    channel_id="C0GENERAL",
                    message_ts="1700000000.000100",
                    response_url=hostile_url,
                )
            )
        )["payload"]
    )
    client = WebClient(token="xoxb-test-token", base_url=standin.base_url)
    respond = Respond(response_url=hostile_url)
    unverified = BoltRequest(body=_payload_form(body), mode="http")
    # Each in a context of its own, as a request is: its reference id stays there.
    contextvars.copy_context().run(
        errors.handle_error, RuntimeError("boom"), body, client, respond, None, unverified
    )
    assert heard == []
    assert standin.calls == []

    verified = BoltRequest(
        body=_payload_form(body), mode="http", context={errors.VERIFIED_KEY: True}
    )
    contextvars.copy_context().run(
        errors.handle_error, RuntimeError("boom"), body, client, respond, None, verified
    )
    assert len(heard) == 1  # the verified request's own response_url, once


def test_the_apology_says_nothing_was_changed_when_the_answer_was_not_stored(
    bot: Bot, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event's claim commits before the answer; a failure storing the answer must not
    be reported as stored."""
    root = r.start(bot)

    def broken(**_kwargs: Any) -> None:
        raise RuntimeError("the answer could not be stored")

    monkeypatch.setattr(rules, "record_reply", broken)
    bot.reply("We skipped the canary", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    told = [e["text"] for e in bot.standin.ephemerals("U0BOB")]
    assert len(told) == 1
    assert "Nothing was changed" in told[0]
    assert "stored" not in told[0]
    session.commit()
    assert session.exec(select(Answer)).all() == []


# --- The fuzz test ------------------------------------------------------------------------

_IDS = ("U0ALICE", "U0BOB", "C0GENERAL", TEAM_ID)
_ABSURD = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=33, max_size=400),
    st.text(min_size=0, max_size=30).map(lambda t: f"{t}<!channel>/{HOSTILE_MARK}"),
    st.just(""),
    st.just("U" + "9" * 20_000),
)
_WRONG = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
_HOSTILE_TEXT = st.text(max_size=200).map(lambda t: f"{t}\x00\ud800<!channel>{HOSTILE_MARK}")


class _Sent:
    """What the fuzz test sent and got back."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()


TRIGGER = "1700000000.1001.0123456789abcdef"


def _base(kind: str, response_url: str) -> Any:
    """A well-formed body of one kind, as a dict (form fields for a command); the same
    length every time, as hypothesis draws from it."""
    common = {"user_id": "U0ALICE", "team_id": TEAM_ID, "response_url": response_url}
    if kind == "command":
        return {
            "command": "/aar",
            "team_id": TEAM_ID,
            "user_id": "U0ALICE",
            "channel_id": "C0GENERAL",
            "text": "help",
            "response_url": response_url,
            "trigger_id": TRIGGER,
        }
    if kind == "event":
        return json.loads(
            p.event_callback(
                p.message_event(channel="C0GENERAL", user="U0BOB", text="hi", ts="1.000001"),
                event_id=f"Ev{secrets.token_hex(8).upper()}",
            )
        )
    if kind == "url_verification":
        return {"type": "url_verification", "challenge": "abc", "token": "x"}
    forms = {
        "block_actions": lambda: p.block_actions(
            user_id=common["user_id"],
            action_id=Act.NEXT,
            value="1:0",
            channel_id="C0GENERAL",
            message_ts="1700000000.000100",
            response_url=response_url,
            trigger_id=TRIGGER,
        ),
        "view_submission": lambda: p.view_submission(
            user_id="U0ALICE",
            callback_id=View.ANSWER,
            values={Block.ANSWER: {Block.ANSWER: p.text_value("x")}},
            private_metadata=json.dumps({"review": 1, "question": "expected"}),
            view_id="V0FUZZ",
            hash="1700000000.abcd1234",
        ),
        "shortcut": lambda: p.shortcut(
            callback_id="aar_start", user_id="U0ALICE", trigger_id=TRIGGER
        ),
        "message_action": lambda: p.message_shortcut(
            callback_id="aar_start_from_message",
            user_id="U0ALICE",
            channel_id="C0GENERAL",
            message={"ts": "1700000000.000100", "text": "hi", "user": "U0BOB"},
            response_url=response_url,
            trigger_id=TRIGGER,
        ),
    }
    payload = json.loads(dict(parse_qsl(forms[kind]()))["payload"])
    payload["trigger_id"] = TRIGGER
    return payload


# Fields each kind's model requires, with the type it must have: where a mutation breaks it.
_REQUIRED = {
    "command": [("command", "str"), ("user_id", "id"), ("channel_id", "id"), ("team_id", "id")],
    "event": [
        ("team_id", "id"),
        ("event_id", "str"),
        ("event", "dict"),
        ("event.channel", "id"),
        ("event.ts", "str"),
        ("event.type", "str"),
    ],
    "url_verification": [("challenge", "str")],
    "block_actions": [("user", "dict"), ("user.id", "id"), ("actions", "list"), ("type", "str")],
    "view_submission": [("view", "dict"), ("view.id", "id"), ("user.id", "id"), ("type", "str")],
    "shortcut": [("callback_id", "str"), ("trigger_id", "str"), ("user.id", "id")],
    "message_action": [("channel", "dict"), ("channel.id", "id"), ("message", "dict")],
}


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for name in parents:
        body = body[name]
    body[last] = value


def _delete(body: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    for name in parents:
        body = body[name]
    body.pop(last, None)


_JSON_KINDS = ("event", "url_verification")
_KNOWN_TYPES = {
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "event_callback",
    "url_verification",
    "app_rate_limited",
}


def _encoded(kind: str, body: dict[str, Any]) -> tuple[str, bool]:
    """The body as Slack would send one of its kind, and whether that is JSON."""
    if kind == "command":
        return urlencode(body), False
    if kind in _JSON_KINDS:
        return json.dumps(body), True
    return urlencode({"payload": json.dumps(body)}), False


def _raw(kind: str, text: str) -> tuple[str, bool]:
    """JSON text sent as its kind's body (a command's as JSON, since it has no JSON form)."""
    if kind in (*_JSON_KINDS, "command"):
        return text, True
    return urlencode({"payload": text}), False


def _wrong_type(draw: st.DrawFn, kind: str, body: dict, path: str, expected: str):
    wrong = draw(_WRONG if expected != "list" else st.one_of(st.integers(), st.text()))
    if kind == "command":
        # A form has only text: the wrong type is a list, the field given twice.
        text, _ = _encoded(kind, body)
        return text + "&" + urlencode({path: str(wrong)[:50]}), False
    _set(body, path, wrong if expected in ("str", "id") else str(wrong))
    return _encoded(kind, body)


def _unknown_type(draw: st.DrawFn, kind: str, body: dict, _path: str, _expected: str):
    if kind == "command":
        body["command"] = draw(_ABSURD)
    else:
        body["type"] = draw(st.text(max_size=30).filter(lambda t: t not in _KNOWN_TYPES))
    return _encoded(kind, body)


def _absurd_id(draw: st.DrawFn, kind: str, body: dict, path: str, _expected: str):
    ids = [q for q, t in _REQUIRED[kind] if t == "id"] or [path]
    _set(body, draw(st.sampled_from(ids)), draw(_ABSURD))
    return _encoded(kind, body)


def _missing(_draw: st.DrawFn, kind: str, body: dict, path: str, _expected: str):
    _delete(body, path)
    return _encoded(kind, body)


def _bad_json(draw: st.DrawFn, kind: str, body: dict, _path: str, _expected: str):
    text = json.dumps(body)
    # A strict prefix without the closing brace, plus something that does not close it.
    cut = draw(st.integers(min_value=0, max_value=len(text) - 2))
    return _raw(kind, text[:cut] + draw(st.sampled_from(["", ",", HOSTILE_MARK, "\x00"])))


def _deep(draw: st.DrawFn, kind: str, body: dict, _path: str, _expected: str):
    depth = draw(st.sampled_from([40, 1_000, 100_000]))
    return _raw(kind, json.dumps(body)[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}")


def _hostile_text(draw: st.DrawFn, kind: str, body: dict, path: str, expected: str):
    """Well-formed, with hostile text where only text goes, and nothing to act on."""
    if kind == "event":
        _set(body, "event.text", draw(_HOSTILE_TEXT))
    elif kind == "url_verification":
        body["challenge"] = draw(st.text(alphabet="abcXYZ019", min_size=1, max_size=50))
    else:  # anything else well-formed would be acted on (and answered): keep it malformed
        _delete(body, path)
    return _encoded(kind, body)


_MUTATIONS = {
    "wrong type": _wrong_type,
    "absurd id": _absurd_id,
    "missing": _missing,
    "unknown type": _unknown_type,
    "bad json": _bad_json,
    "deep": _deep,
    "hostile text": _hostile_text,
}


@st.composite
def hostile_bodies(draw: st.DrawFn, response_url: str) -> tuple[str, str, bool]:
    """(what was done, the body, whether it is JSON): each one Slack would never send."""
    kind = draw(st.sampled_from(sorted(_REQUIRED)))
    how = draw(st.sampled_from(sorted(_MUTATIONS)))
    path, expected = draw(st.sampled_from(_REQUIRED[kind]))
    body, is_json = _MUTATIONS[how](draw, kind, _base(kind, response_url), path, expected)
    return f"{how} ({kind})", body, is_json


class Running:
    """`aarbot run --http` and every line it logs (read as it goes, so the pipe never fills)."""

    def __init__(self, tmp_path: Path, standin: SlackStandIn, database_url: str) -> None:
        self.process, self.base = run_http(tmp_path, standin.base_url, database_url, SIGNING_SECRET)
        self.lines: list[str] = []
        self._reader = threading.Thread(
            target=lambda: self.lines.extend(self.process.stderr), daemon=True
        )
        self._reader.start()

    def stop(self) -> str:
        """Stop it; everything it logged."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        return "".join(self.lines)


@pytest.fixture
def running(tmp_path: Path, standin: SlackStandIn, run_database_url: str) -> Iterator[Running]:
    server = Running(tmp_path, standin, run_database_url)
    try:
        wait_healthy(server.base, server.process)
        yield server
    finally:
        server.stop()


FUZZED = 400


def test_hundreds_of_hostile_signed_bodies_cause_no_5xx_no_traceback_and_no_message(
    running: Running, standin: SlackStandIn, hostile: tuple[str, list[str]]
) -> None:
    base = running.base
    hostile_url, heard = hostile
    sent = _Sent()
    kinds: Counter[str] = Counter()

    @settings(
        max_examples=FUZZED,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_bodies(hostile_url))
    def send(case: tuple[str, str, bool]) -> None:
        how, body, is_json = case
        kinds[how] += 1
        headers = sign_request(
            body,
            SIGNING_SECRET,
            content_type="application/json" if is_json else "application/x-www-form-urlencoded",
        )
        status, _ = post(f"{base}/slack/events", body, headers)
        sent.statuses[status] += 1
        assert status < 500, (how, body[:300])

    send()

    total = sum(sent.statuses.values())
    text = running.stop()
    print(f"fuzz: {total} requests, statuses {dict(sent.statuses)}, kinds {dict(kinds)}")
    print(
        f"fuzz: {text.count('Traceback')} tracebacks, {len(_messages(standin))} messages, "
        f"{len(heard)} response_url posts, {len(standin.responses)} stand-in responses"
    )
    assert total >= 300
    assert not [s for s in sent.statuses if s >= 500]
    assert sent.statuses[400] > 0
    assert text.count("body is malformed") == sent.statuses[400]  # one line each
    assert "Traceback" not in text
    assert HOSTILE_MARK not in text, "a body reached the log"
    assert _messages(standin) == []
    assert heard == []
    assert standin.responses == []
