"""`aarbot demo`: one whole review through the real app and database, against a local Slack."""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import func, select

from bot.cli import demo_render as render
from bot.runtime.deps import Deps
from bot.runtime.settings import Settings
from bot.slack.ids import Act, Block
from bot.standin import payloads as p
from bot.standin.driver import Bot
from bot.standin.server import SlackStandIn
from bot.standin.state import BOT_USER_ID
from storage.db import make_engine, session_scope, upgrade
from storage.models import Action, Answer, Review

CHANNEL = "C0GENERAL"
FACILITATOR = "U0ALICE"
TITLE = "Checkout outage after Friday deploy"
WHAT_HAPPENED = "Checkout returned errors for 40 minutes after the 16:00 deploy on Friday."
PARTICIPANTS = ("U0BOB", "U0CAROL")
# One thread reply per text question of the miss template, up to the root cause.
ANSWERS = (
    ("U0ALICE", "Checkout stays up through the Friday deploy"),
    ("U0BOB", "Checkout returned 500s for 40 minutes after the 16:00 deploy"),
    ("U0CAROL", "We assumed the feature flag kept the new code path off"),
    ("U0BOB", "The staging dashboard was green and the flag showed OFF"),
    ("U0CAROL", "The flag service had been migrated on Thursday"),
    ("U0ALICE", "Deploys do not check flag state in production before rollout"),
)
GAP_TYPE = ("process", "Process")
ACTION_WHAT = "Add a canary stage to the checkout deploy pipeline"
ACTION_OWNER = "U0BOB"
ACTION_CRITERION = "Zero checkout incidents from deploys for 30 days"
LESSONS_CHANNEL = "C0LESSONS"
LESSON = ("U0CAROL", "Check live flag state before every rollout")
DEMO_BOT_TOKEN = "xoxb-demo"  # noqa: S105 - the stand-in accepts any xoxb- token
_QUIET = {"auth.test", "conversations.info", "chat.getPermalink", "users.info"}
_BAR = "    | "


def run_demo(out: TextIO = sys.stdout, keep_db: str | Path | None = None) -> int:
    """Print the demo review's transcript to `out`; 1 if Slack would refuse a call, 2: --keep-db."""
    started = time.monotonic()
    target = Path(keep_db).expanduser().resolve() if keep_db else None
    if target is not None and target.exists():
        print(f"aarbot: {target} already exists; give --keep-db a new file name", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="aarbot-demo-") as tmp, SlackStandIn() as standin:
        db_path = target or Path(tmp) / "aarbot.db"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_hex(16)
        # Built here rather than loaded: the demo must not see a real workspace's tokens or DB.
        settings = Settings(
            slack_bot_token=DEMO_BOT_TOKEN,
            slack_signing_secret=secret,
            slack_api_url=standin.base_url,
            database_url=f"sqlite:///{db_path}",
            workers=2,
        )
        engine = make_engine(settings.database_url)
        try:
            upgrade(engine)
            bot = Bot(deps=Deps(settings=settings, engine=engine), standin=standin, secret=secret)
            try:
                show = Transcript(standin, out)
                show.heading()
                _review(bot, show)
                show.footer(engine, kept=target, seconds=time.monotonic() - started)
                for violation in standin.violations:
                    show.line(f"Slack would have refused: {violation}")
                failed = bool(standin.violations)
            finally:
                bot.executor.shutdown(wait=True)
        finally:
            engine.dispose()
    return 1 if failed else 0


def _review(bot: Bot, show: Transcript) -> None:
    """The script: a miss review from /aar to the closed summary."""
    show.person(FACILITATOR, f"types /aar {TITLE} in #general")
    bot.command(TITLE, user=FACILITATOR, channel=CHANNEL)
    show.flush()
    people = ", ".join(show.at(u) for u in PARTICIPANTS)
    show.person(FACILITATOR, f"submits: kind 'miss', participants {people}, what happened:")
    show.quote(WHAT_HAPPENED)
    bot.submit(bot.last_view(), _start_values(), user=FACILITATOR)
    show.flush()
    rid = show.review_id()
    for number, (author, text) in enumerate(ANSWERS, start=1):
        show.person(author, "replies in the thread:")
        show.quote(text)
        bot.reply(text, user=author, channel=CHANNEL, thread_ts=show.root_ts)
        show.flush()
        if number < len(ANSWERS):
            _click(bot, show, Act.NEXT, rid, "[Next question]")
    show.person(FACILITATOR, f"picks the gap type: {GAP_TYPE[1]}")
    bot.click(
        Act.GAP_TYPE,
        value=rid,
        user=FACILITATOR,
        channel=CHANNEL,
        message_ts=show.root_ts,
        selected_option=GAP_TYPE[0],
        block_id=f"q:{rid}:root_cause",
    )
    show.flush()
    _click(bot, show, Act.NEXT, rid, "[Next question]")
    _click(bot, show, Act.ADD_ACTION, rid, "[Add action]")
    due = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    show.person(FACILITATOR, f"submits the action: owner {show.at(ACTION_OWNER)}, review on {due}")
    show.quote(f"{ACTION_WHAT} (done when: {ACTION_CRITERION})")
    # Picking the owner tells the app at once (the select dispatches its action), as in Slack.
    picked = p.block_actions(
        user_id=FACILITATOR,
        action_id=Block.OWNER,
        block_id=Block.OWNER,
        selected_user=ACTION_OWNER,
        view=bot.last_view(),
    )
    bot.post_signed(picked)
    bot.settle()
    bot.submit(bot.last_view(), _action_values(due), user=FACILITATOR)
    show.flush()
    _click(bot, show, Act.NEXT, rid, "[Next question]")
    show.person(LESSON[0], "replies in the thread:")
    show.quote(LESSON[1])
    bot.reply(LESSON[1], user=LESSON[0], channel=CHANNEL, thread_ts=show.root_ts)
    show.flush()
    _click(bot, show, Act.CLOSE, rid, "[Close review]")
    _click(bot, show, Act.SHARE, rid, "[Share lesson]")
    show.person(FACILITATOR, "keeps the lesson as written and shares it to #lessons")
    share = {
        Block.LESSON: {Block.LESSON: p.text_value(LESSON[1])},
        Block.SHARE_TO: {Block.SHARE_TO: p.conversations_value([LESSONS_CHANNEL])},
    }
    bot.submit(bot.last_view(), share, user=FACILITATOR)
    show.flush()
    show.final_review_message()


def _click(bot: Bot, show: Transcript, act: Act, rid: str, label: str) -> None:
    show.person(FACILITATOR, f"clicks {label}")
    bot.click(act, value=rid, user=FACILITATOR, channel=CHANNEL, message_ts=show.root_ts)
    show.flush()


def _start_values() -> dict[str, Any]:
    return {
        Block.TITLE: {Block.TITLE: p.text_value(TITLE)},
        Block.TEMPLATE: {Block.TEMPLATE: p.option_value("miss")},
        Block.WHAT_HAPPENED: {Block.WHAT_HAPPENED: p.text_value(WHAT_HAPPENED)},
        Block.PARTICIPANTS: {Block.PARTICIPANTS: p.users_value(list(PARTICIPANTS))},
        Block.OPTIONS: {Block.OPTIONS: p.checkboxes_value([])},
    }


def _action_values(due: str) -> dict[str, Any]:
    return {
        Block.WHAT: {Block.WHAT: p.text_value(ACTION_WHAT)},
        Block.OWNER: {Block.OWNER: p.user_value(ACTION_OWNER)},
        Block.REVIEW_DATE: {Block.REVIEW_DATE: p.date_value(due)},
        Block.CRITERION: {Block.CRITERION: p.text_value(ACTION_CRITERION)},
        Block.KIND: {Block.KIND: p.option_value("fix")},
    }


class Transcript:
    """Prints what people do and, from the stand-in's record, everything the app sent Slack."""

    def __init__(self, standin: SlackStandIn, out: TextIO) -> None:
        self.standin, self.out = standin, out
        with standin.state.lock:
            self.names = {u.id: u.real_name for u in standin.state.users.values()}
            self.names |= {c.id: c.name for c in standin.state.channels.values()}
        self.root_ts: str | None = None
        self._root: dict[str, Any] | None = None
        self._calls = 0
        self._responses = 0

    def line(self, text: str = "") -> None:
        """Print one line."""
        print(text, file=self.out)

    def at(self, user: str) -> str:
        """@Name for a user id."""
        return "@" + self.names.get(user, user)

    def heading(self) -> None:
        """The title and what the reader is looking at."""
        self.line("aarbot demo: one after-action review, start to finish")
        self.line("=" * 54)
        self.line("The real app and a real SQLite database, talking to a local stand-in for")
        self.line("Slack (#general; Alice, Bob and Carol). Lines after '|' are what aarbot")
        self.line("posted in Slack, as text.")
        self.line()

    def person(self, user: str, doing: str) -> None:
        """A person's step."""
        self.line(f"> {self.names.get(user, user)} {doing}")

    def quote(self, text: str) -> None:
        """What the person typed."""
        self.line(f'    "{text}"')

    def flush(self) -> None:
        """Print every message, modal and update the app sent since the last flush."""
        calls = self.standin.calls
        for call in calls[self._calls :]:
            self._show_call(call.method, call.args, call.ok, call.error)
        self._calls = len(calls)
        responses = self.standin.responses
        for response in responses[self._responses :]:
            body = response["body"] if isinstance(response["body"], dict) else {}
            if response.get("response_type") == "in_channel":
                heading = "aarbot answers in the channel:"
            else:
                heading = f"aarbot, only {self._response_user(response['name'])} sees:"
            self._show(heading, render.message(body, self.names))
        self._responses = len(responses)
        self.line()

    def review_id(self) -> str:
        """The review id the review message's buttons carry."""
        for b in (self._root or {}).get("blocks", []):
            for el in b.get("elements", []):
                if el.get("value"):
                    return el["value"].split(":")[0]
        raise RuntimeError("the app posted no review message with buttons")

    def final_review_message(self) -> None:
        """The review message in the channel as it reads at the end, in full."""
        root = next(m for m in self.standin.messages(CHANNEL) if m["ts"] == self.root_ts)
        self._show("The review message in #general now reads:", render.message(root, self.names))
        self.line()

    def footer(self, engine, *, kept: Path | None, seconds: float) -> None:
        """What ended up in the database."""
        with session_scope(engine) as session:
            answers = session.exec(select(func.count()).select_from(Answer)).one()
            actions = session.exec(select(Action)).all()
            stage = session.exec(select(Review.stage)).first()
        owners = ", ".join(self.at(a.owner_id) for a in actions if a.owner_id)
        self.line("-" * 54)
        self.line(
            f"Stored: {answers} answers, {len(actions)} action(s) (owner {owners or 'none'})."
        )
        self.line(f"Review stage: {stage}. Done in {seconds:.1f} s.")
        if kept is not None:
            self.line(f"Database kept at {kept}; export it with:")
            self.line(f"  DATABASE_URL=sqlite:///{kept} aarbot export --format json")

    def _show_call(self, method: str, args: dict[str, Any], ok: bool, error: str | None) -> None:
        if method in _QUIET:
            return
        if not ok:
            self.line(f"    (Slack refused {method}: {error})")
            return
        if method in ("views.open", "views.push", "views.update"):
            v = args.get("view") or {}
            title = render.text_of(v.get("title"))
            verb = "updates the modal" if method == "views.update" else "opens the modal"
            self._show(f"aarbot {verb}: {title}", render.view(v, self.names))
        elif method == "chat.postMessage":
            self._show(self._where(args), render.message(args, self.names))
            if self.root_ts is None and not args.get("thread_ts"):
                self._root = self._first_bot_post(args["channel"])
                self.root_ts = self._root["ts"]
        elif method == "chat.postEphemeral":
            name = self.names.get(args.get("user", ""), "you")
            self._show(f"aarbot, only {name} sees:", render.message(args, self.names))
        elif method == "chat.update":
            lines = render.message(args, self.names)
            what = "review message" if args.get("ts") == self.root_ts else "message"
            self.line(f"    ({what} updated: {render.key_line(lines)})")
        else:
            self.line(f"    (aarbot calls {method})")

    def _response_user(self, name: str) -> str:
        with self.standin.state.lock:
            target = self.standin.state.response_targets.get(name)
        return self.names.get(target.user or "", "you") if target else "you"

    def _first_bot_post(self, channel: str) -> dict[str, Any]:
        # Call records lack the posted ts; the stand-in's channel history has it.
        posts = [m for m in self.standin.messages(channel) if m.get("thread_ts") in (None, m["ts"])]
        return next(m for m in posts if m.get("user") == BOT_USER_ID)

    def _where(self, args: dict[str, Any]) -> str:
        channel = args.get("channel", "")
        if args.get("thread_ts"):
            return "aarbot replies in the thread:"
        if channel.startswith(("D", "U")):
            return f"aarbot sends {self.names.get('U' + channel[1:], channel)} a DM:"
        return f"aarbot posts in #{self.names.get(channel, channel)}:"

    def _show(self, heading: str, lines: list[str]) -> None:
        self.line(f"  {heading}")
        for text in lines:
            self.line(_BAR + text)
