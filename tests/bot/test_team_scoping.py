"""A request signed for one workspace never touches another's reviews or actions.

The app is installed in two workspaces (alpha T0001 and beta T0002). Beta's people send
every kind of request a listener takes (clicks, modal submissions, thread replies and their
edits and deletions, shortcuts) naming alpha's review and action ids, channel and thread. Each
is refused privately, or ignored, and alpha's rows stay exactly as they were: one check
(storage/tenancy.py) scopes every request's session to the team that signed it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.slack.ids import Act, Block, Shortcut, View
from bot.standin import SlackStandIn
from bot.standin import payloads as p
from bot.standin.driver import Bot, Response
from bot.standin.state import Team
from storage.models import Action, Answer, Lesson, Nudge, Participant, Review
from tests.bot import reviewing as r
from tests.bot.oauth import installed, oauth_bot
from tests.bot.test_share import share_values

ALPHA, BETA = "T0001", "T0002"
BETA_CHANNEL = "C2GENERAL"
DANA = "U2DANA"  # beta's installer and a lead there


@pytest.fixture
def teams(standin: SlackStandIn) -> dict[str, Team]:
    for user_id, name in {"U2DANA": "dana", "U2EVE": "eve"}.items():
        standin.add_user(user_id, name, tz="Europe/Paris", team=BETA)
    standin.add_channel(BETA_CHANNEL, "general", members=("U2DANA", "U2EVE"), team=BETA)
    return {
        ALPHA: standin.add_team(ALPHA, "Alpha"),
        BETA: standin.add_team(BETA, "Beta", installer=DANA),
    }


@pytest.fixture
def app(
    standin: SlackStandIn, database_url: str, engine: Engine, teams: dict[str, Team]
) -> Iterator[Bot]:
    """Installed in both workspaces; Dana is a lead, so only the team stands in her way."""
    with oauth_bot(standin, database_url, engine, leads=("U0ALICE", DANA)) as harness:
        for team in (ALPHA, BETA):
            assert harness.install(team).status == 200
        assert len(installed(engine)) == 2
        yield harness


def snapshot(session: Session) -> str:
    """Every row of alpha's reviews and what hangs off them, to compare before and after."""
    session.commit()
    session.expire_all()
    rows: list[Any] = []
    for model in (Review, Participant, Answer, Action, Nudge, Lesson):
        rows += [m.model_dump(mode="json") for m in session.exec(select(model))]
    return json.dumps(rows, sort_keys=True, default=str)


@pytest.fixture
def alpha(app: Bot, session: Session) -> dict[str, Any]:
    """Alpha's review in its discussion, with an answer in the thread and an action."""
    root = r.start(app, "Checkout outage after the Friday deploy", participants=("U0BOB",))
    app.reply("We skipped the canary", user="U0BOB", channel="C0GENERAL", thread_ts=root["ts"])
    for _ in range(2):  # the owner may still be being looked up: press Add action again
        response = r.add_action(app, root, owner="U0BOB")
        if not response.body or "errors" not in response.json():
            break
    action = session.exec(select(Action)).one()
    answer = session.exec(select(Answer).where(Answer.message_ts.is_not(None))).one()
    return {
        "root": root,
        "review": r.review_id(root),
        "action": str(action.id),
        "answer_ts": answer.message_ts,
    }


def _beta_response_url(app: Bot, name: str) -> str:
    return app.standin.response_url(name, channel=BETA_CHANNEL, user=DANA)


def _said_to_dana(app: Bot, before: int) -> list[dict[str, Any]]:
    return [m for m in app.standin.responses[before:] if m["name"].startswith("beta-")]


def _alpha_channel_posts(app: Bot) -> int:
    return len([c for c in app.standin.calls if c.args.get("channel") == "C0GENERAL"])


CLICKS = [
    Act.NEXT,
    Act.BACK,
    Act.CLOSE,
    Act.REOPEN,
    Act.ADD_ACTION,
    Act.SHARE,
    Act.START_DISCUSSION,
    Act.GIVE_PERSPECTIVE,
    Act.ANSWER,
    Act.SAME_FAILURE,
    Act.GAP_TYPE,
    Act.NUDGE_DONE,
    Act.NUDGE_RESCHEDULE,
    Act.NUDGE_DROP,
]


@pytest.mark.parametrize("act", CLICKS)
def test_a_beta_click_on_alphas_review_or_action_is_refused_privately(
    app: Bot, session: Session, alpha: dict[str, Any], act: Act
) -> None:
    before, views, posts = snapshot(session), len(app.standin.open_views), _alpha_channel_posts(app)
    responses = len(app.standin.responses)
    nudge = act in (Act.NUDGE_DONE, Act.NUDGE_RESCHEDULE, Act.NUDGE_DROP)
    value = alpha["action"] if nudge else f"{alpha['review']}:0"
    option = {"selected_option": "process"} if act == Act.GAP_TYPE else {}
    body = p.block_actions(
        team_id=BETA,
        user_id=DANA,
        action_id=act,
        value=None if option else value,
        block_id=f"q:{alpha['review']}:root_cause" if option else "b",
        channel_id=BETA_CHANNEL,
        message_ts=alpha["root"]["ts"],
        trigger_id=p.new_trigger_id(),
        response_url=_beta_response_url(app, f"beta-{act}"),
        **option,
    )
    response = app.post_signed(body)
    app.settle()

    assert response.status == 200
    assert snapshot(session) == before
    assert len(app.standin.open_views) == views, "a modal opened on another workspace's data"
    assert _alpha_channel_posts(app) == posts
    [refusal] = _said_to_dana(app, responses)
    assert refusal["response_type"] == "ephemeral"
    assert "no longer exists" in refusal["body"]["text"]


def _submission(callback_id: str, meta: dict[str, Any], values: dict[str, Any]) -> str:
    return p.view_submission(
        team_id=BETA,
        user_id=DANA,
        callback_id=callback_id,
        values=values,
        private_metadata=json.dumps(meta),
        blocks=[{"type": "input", "block_id": block_id} for block_id in values],
    )


def _modals(alpha: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    review, action = int(alpha["review"]), int(alpha["action"])
    outcome = r.outcome_values("It worked", "yes")
    reason = {Block.REASON: {Block.REASON: p.text_value("Not needed")}}
    later = {Block.REVIEW_DATE: {Block.REVIEW_DATE: p.date_value("2099-01-05")}}
    answer = {Block.ANSWER: {Block.ANSWER: p.text_value("Beta's answer")}}
    perspective = {"q_expected": {"q_expected": p.text_value("Beta's perspective")}}
    return {
        "answer": (View.ANSWER, {"review": review, "question": "expected"}, answer),
        "action": (View.ADD_ACTION, {"review": review}, r.action_values(owner="U2EVE")),
        "share": (View.SHARE, {"review": review}, share_values(channels=(BETA_CHANNEL,))),
        "perspective": (View.PERSPECTIVE, {"review": review}, perspective),
        "outcome": (View.OUTCOME, {"action": action}, outcome),
        "reschedule": (View.RESCHEDULE, {"action": action}, later),
        "drop": (View.DROP, {"action": action}, reason),
    }


@pytest.mark.parametrize(
    "kind", ["answer", "action", "share", "perspective", "outcome", "reschedule", "drop"]
)
def test_a_beta_modal_naming_alphas_review_or_action_is_refused_in_the_modal(
    app: Bot, session: Session, alpha: dict[str, Any], kind: str
) -> None:
    before, posts = snapshot(session), _alpha_channel_posts(app)
    callback_id, meta, values = _modals(alpha)[kind]

    response = app.post_signed(_submission(callback_id, meta, values))
    app.settle()

    assert response.status == 200
    errors = (response.json() or {}).get("errors") or {}
    assert any("no longer exists" in e for e in errors.values()), response.body
    assert snapshot(session) == before
    assert _alpha_channel_posts(app) == posts


def _beta_event(app: Bot, event: dict[str, Any]) -> Response:
    return app.event(event, team=BETA)


def test_beta_events_in_alphas_thread_change_nothing(
    app: Bot, session: Session, alpha: dict[str, Any]
) -> None:
    before, posts = snapshot(session), _alpha_channel_posts(app)
    thread_ts = alpha["root"]["ts"]
    reply = p.message_event(
        channel="C0GENERAL",
        user=DANA,
        text="Beta's reply in alpha's thread",
        ts="1999999999.000200",
        thread_ts=thread_ts,
        team=BETA,
    )
    changed = p.message_changed_event(
        channel="C0GENERAL",
        user="U0BOB",
        ts=alpha["answer_ts"],
        text="Beta rewrote alpha's answer",
        thread_ts=thread_ts,
    )
    deleted = p.message_deleted_event(
        channel="C0GENERAL", ts=alpha["answer_ts"], user="U0BOB", thread_ts=thread_ts
    )
    for event in (reply, changed, deleted):
        assert _beta_event(app, event).status == 200

    assert snapshot(session) == before
    assert _alpha_channel_posts(app) == posts


def test_a_beta_shortcut_and_start_modal_leave_alpha_alone(
    app: Bot, session: Session, alpha: dict[str, Any]
) -> None:
    before = snapshot(session)
    app.post_signed(p.shortcut(callback_id=Shortcut.START, user_id=DANA, team_id=BETA))
    app.settle()
    view = app.last_view()
    assert view["callback_id"] == View.START
    values = {**r.start_values(title="Beta's own review"), **_channel(BETA_CHANNEL)}
    response = app.submit(view, values, user=DANA, team=BETA)
    assert response.status == 200
    # Beta's review is beta's; alpha's rows are as they were.
    session.commit()
    new = session.exec(select(Review).where(Review.title == "Beta's own review")).one()
    assert new.team_id == BETA
    for model in (Answer, Participant):
        for row in session.exec(select(model).where(model.review_id == new.id)):
            session.delete(row)
    session.delete(new)
    session.commit()
    assert snapshot(session) == before


def _channel(channel: str) -> dict[str, Any]:
    return {
        Block.CHANNEL: {
            Block.CHANNEL: {"type": "conversations_select", "selected_conversation": channel}
        }
    }


@pytest.mark.parametrize("text", ["list", "search checkout outage", "actions", "stats"])
def test_a_beta_command_in_alphas_channel_shows_nothing_of_alpha(
    app: Bot, session: Session, alpha: dict[str, Any], text: str
) -> None:
    before = snapshot(session)
    shown = _command_shows(app, text, user=DANA, team=BETA)
    assert "Checkout outage after the Friday deploy" not in shown
    assert "canary" not in shown.lower()
    assert "*Reviews*\\n1" not in shown  # stats: alpha's one review is not counted
    assert snapshot(session) == before
    mine = _command_shows(app, text, user="U0ALICE", team=ALPHA)  # the same, in alpha
    if text.startswith(("list", "search")):
        assert "Checkout outage after the Friday deploy" in mine
    if text == "stats":
        assert "*Reviews*\\n1" in mine


def _command_shows(app: Bot, text: str, *, user: str, team: str) -> str:
    responses = len(app.standin.responses)
    response = app.command(text, user=user, channel="C0GENERAL", team=team)
    assert response.status == 200
    return json.dumps(
        [response.json() if response.body else None]
        + [r["body"] for r in app.standin.responses[responses:]],
        ensure_ascii=False,
    )
