"""One sweep of due nudges: claim a batch, send each, record what happened.

The database decides what is due and who sends it. A batch is claimed (with a lease) and
committed before anything is sent, so another sweeper never takes the same rows; each nudge
is then sent outside any transaction and recorded in its own short one. No transaction is
held open across a Slack call, and on SQLite each write transaction starts with its write,
so concurrent sweepers wait on the busy timeout instead of failing on a stale snapshot.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks.nudges import escalation_messages, nudge_dm
from bot.clients import REJECTED_TOKEN_ERRORS, TeamClients, as_team_clients
from bot.deps import Deps
from flows.nudges import NudgeKind
from storage import nudges as store
from storage.db import session_scope
from storage.models import Action, ActionStatus, Nudge, NudgeStatus, Review
from storage.visibility import can_see

log = logging.getLogger("aarbot.sweep")

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
# Slack answers these with 200 and ok:false; asking again will not change the answer.
# The first three say the person can get no DM from the bot at all.
UNREACHABLE_PEOPLE = frozenset({"user_not_found", "cannot_dm_bot", "user_disabled"})
PERMANENT_ERRORS = UNREACHABLE_PEOPLE | {"is_archived"}
# A team whose token Slack rejected (REJECTED_TOKEN_ERRORS) is tried again after this long:
# its nudges wait, their attempts uncounted, until the token is fixed or the app reinstalled.
TOKEN_HOLD = timedelta(minutes=5)


@dataclass(frozen=True)
class Delivery:
    """One nudge in a sweep's report."""

    nudge_id: int
    kind: str
    owner_id: str
    what: str
    due_at: datetime
    error: str | None = None


@dataclass
class SweepResult:
    """What one sweep sent, failed to send (and will retry or gave up on), and cancelled."""

    sent: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    cancelled: list[Delivery] = field(default_factory=list)


def default_worker() -> str:
    """A worker id unique to this process and sweeper: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def sweep(
    *,
    deps: Deps,
    client: WebClient | TeamClients,
    now: datetime | None = None,
    worker: str | None = None,
    batch: int = 50,
    dry_run: bool = False,
) -> SweepResult:
    """Send every nudge due at `now` (default: the clock); dry_run only reports them.

    Each nudge goes out with its review's team's client (`client` may be one WebClient for all).
    `now` only decides what is due: every claim's lease runs from the clock at that claim, so
    a long sweep's last batch, or a sweep "as if" at another time, is leased for real.
    """
    now = now or deps.clock()
    worker = worker or default_worker()
    result = SweepResult()
    if dry_run:
        with session_scope(deps.engine) as session:
            for nudge, action, _review in store.peek_due(
                session=session, now=now, limit=10_000, lease_now=deps.clock()
            ):
                result.sent.append(_delivery(nudge, action))
        return result
    clients = as_team_clients(client)
    dm_channels: dict[str, dict[str, str]] = {}  # by team, then user
    held: dict[str, str] = {}  # teams whose token Slack rejected in this sweep, and how
    while True:
        with session_scope(deps.engine) as session:
            ids = store.claim_due(
                session=session,
                now=now,
                lease_now=deps.clock(),
                worker=worker,
                lease=LEASE,
                limit=batch,
            )
        if not ids:
            return result
        with session_scope(deps.engine) as session:
            claimed = store.claimed_with_context(session=session, nudge_ids=ids)
        for nudge, _action, review in claimed:
            _deliver(deps, clients, nudge, review, now, worker, result, dm_channels, held)
        if len(ids) < batch:
            return result


def _deliver(
    deps: Deps,
    clients: TeamClients,
    nudge: Nudge,
    review: Review,
    now: datetime,
    worker: str,
    result: SweepResult,
    dm_channels: dict[str, dict[str, str]],
    held: dict[str, str],
) -> None:
    # Read the action again just before sending: a Done or Drop click since the claim wins.
    with session_scope(deps.engine) as session:
        action = session.get(Action, nudge.action_id)
    if action is None or action.status != ActionStatus.OPEN:
        with session_scope(deps.engine) as session:
            store.mark_cancelled(session=session, nudge_id=nudge.id, worker=worker)
        if action is not None:
            result.cancelled.append(_delivery(nudge, action))
        return
    if review.team_id in held:
        # The token is dead for every nudge of the team: no need to hear it again.
        _release(deps, nudge, action, worker, now, result, held[review.team_id])
        return
    hidden = _hidden_from_owner(deps, action, review)
    try:
        # NotInstalledError (a team without a token) is a client error too: retried, then failed.
        client = clients.for_team(review.team_id)
        known = dm_channels.setdefault(review.team_id, {})
        channel_id, ts = _send(deps, client, nudge, action, review, now, known, hidden=hidden)
    except (SlackClientError, OSError) as err:
        error, retry_in, permanent = _failure(err, nudge.attempts)
        if _token_rejected(err):
            # Not this nudge's fault: hold the team's nudges, and ask the installation
            # store for its token again next time, so a reinstall is picked up.
            log.error("Slack rejected team %s's token (%s)", review.team_id, error)
            held[review.team_id] = error
            clients.forget(review.team_id)
            _release(deps, nudge, action, worker, now, result, error)
            return
        max_attempts = 1 if permanent else deps.settings.nudge_max_attempts
    except Exception as err:
        # Not Slack's answer but a bug (in rendering, or in data the code did not expect):
        # another try fails the same way, and would put this nudge first in every sweep.
        log.exception("nudge %s could not be sent", nudge.id)
        error, retry_in, max_attempts = f"{type(err).__name__}: {err}", timedelta(0), 1
    else:
        with session_scope(deps.engine) as session:
            held = store.mark_sent(
                session=session,
                nudge_id=nudge.id,
                worker=worker,
                channel_id=channel_id,
                ts=ts,
                now=now,
            )
        if not held:
            # The lease ran out mid-send (or the action was closed meanwhile); say so loudly,
            # because another sweeper may now send this nudge again.
            log.error("nudge %s was sent after this worker lost its claim", nudge.id)
        result.sent.append(_delivery(nudge, action))
        return
    with session_scope(deps.engine) as session:
        status = store.mark_attempt_failed(
            session=session,
            nudge_id=nudge.id,
            worker=worker,
            error=error,
            now=now,
            retry_in=retry_in,
            max_attempts=max_attempts,
        )
    log.warning("nudge %s attempt %s failed (%s): %s", nudge.id, nudge.attempts, status, error)
    result.failed.append(_delivery(nudge, action, error=f"{error} ({status})"))


def _hidden_from_owner(deps: Deps, action: Action, review: Review) -> bool:
    """True when the owner may not see the review, so their nudge leaves it unnamed."""
    # Owning an action grants the action, not a confidential review (storage/visibility.py).
    with session_scope(deps.engine) as session:
        is_lead = action.owner_id in deps.settings.leads
        return not can_see(
            session=session, review=review, viewer_id=action.owner_id, is_lead=is_lead
        )


def _release(
    deps: Deps,
    nudge: Nudge,
    action: Action,
    worker: str,
    now: datetime,
    result: SweepResult,
    error: str,
) -> None:
    with session_scope(deps.engine) as session:
        store.release(
            session=session,
            nudge_id=nudge.id,
            worker=worker,
            error=error,
            not_before=now + TOKEN_HOLD,
        )
    result.failed.append(_delivery(nudge, action, error=f"{error} ({NudgeStatus.PENDING})"))


def _token_rejected(err: Exception) -> bool:
    return isinstance(err, SlackApiError) and err.response.get("error") in REJECTED_TOKEN_ERRORS


def _send(
    deps: Deps,
    client: WebClient,
    nudge: Nudge,
    action: Action,
    review: Review,
    now: datetime,
    dm_channels: dict[str, str],
    *,
    hidden: bool = False,
) -> tuple[str, str]:
    """Post the nudge; return the channel and ts of the message that is its record."""
    today = _local_today(action.owner_tz, deps.settings.default_tz, now)
    if nudge.kind == NudgeKind.ESCALATION:
        return _escalate(deps, client, nudge, action, review, today, dm_channels)
    text, blocks = nudge_dm(
        kind=nudge.kind, action=action, review=review, today=today, hidden=hidden
    )
    channel = _dm_channel(client, action.owner_id, dm_channels)
    posted = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    return posted["channel"], posted["ts"]


def _escalate(
    deps: Deps,
    client: WebClient,
    nudge: Nudge,
    action: Action,
    review: Review,
    today: date,
    dm_channels: dict[str, str],
) -> tuple[str, str]:
    """DM the facilitator and leads, then post in the review's thread; return the record.

    Nothing records which of these went out, so the first message delivered decides: before
    it, a failure raises (a retry sends nothing twice), skipping only people who cannot get
    a DM at all; after it, a failure is logged and the rest still go, so a retry never DMs
    anyone twice. The thread post is the record if it is made, else the first DM.
    """
    (thread_text, thread_blocks), (dm_text, dm_blocks) = escalation_messages(
        action, review, (today - action.review_date).days
    )
    first: tuple[str, str] | None = None
    for person in dict.fromkeys([review.facilitator_id, *deps.settings.leads]):
        try:
            dm = _dm_channel(client, person, dm_channels)
            posted = client.chat_postMessage(channel=dm, text=dm_text, blocks=dm_blocks)
        except (SlackClientError, OSError) as err:
            if _unreachable(err):
                # With several workspaces, a lead of another one is not in this one.
                log.info("escalation %s: %s cannot get a DM: %s", nudge.id, person, _describe(err))
                continue
            if first is None:
                raise
            log.warning("escalation %s: no DM to %s: %s", nudge.id, person, _describe(err))
            continue
        first = first or (posted["channel"], posted["ts"])
    try:
        posted = client.chat_postMessage(
            channel=review.channel_id,
            thread_ts=review.thread_ts or review.message_ts,
            text=thread_text,
            blocks=thread_blocks,
        )
    except (SlackClientError, OSError) as err:
        if first is None:
            raise
        log.warning(
            "escalation %s: not posted in its review's thread: %s", nudge.id, _describe(err)
        )
        return first
    return posted["channel"], posted["ts"]


def _unreachable(err: Exception) -> bool:
    """Slack says this person cannot get a DM from the bot at all (gone, deactivated, a bot)."""
    return isinstance(err, SlackApiError) and err.response.get("error") in UNREACHABLE_PEOPLE


def _describe(err: Exception) -> str:
    if isinstance(err, SlackApiError):
        return str(err.response.get("error"))
    return f"{type(err).__name__}: {err}"


def _dm_channel(client: WebClient, user_id: str, known: dict[str, str]) -> str:
    if user_id not in known:
        known[user_id] = client.conversations_open(users=user_id)["channel"]["id"]
    return known[user_id]


def _failure(err: Exception, attempts: int) -> tuple[str, timedelta, bool]:
    """The error as kept in the database, when to try again, and whether it is hopeless."""
    if isinstance(err, SlackApiError):
        response = err.response
        code = response.get("error") or "unknown_error"
        error = f"{code} (HTTP {response.status_code})"
        retry_after = _retry_after(response.headers)
        if retry_after is not None:
            return error, max(retry_after, timedelta(seconds=1)), False
        permanent = response.status_code == 200 and code in PERMANENT_ERRORS
        return error, _backoff(attempts), permanent
    return f"{type(err).__name__}: {err}", _backoff(attempts), False


def _retry_after(headers) -> timedelta | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return timedelta(seconds=int(raw))
            except ValueError:
                return None
    return None


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the first, second, third failed attempt, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _local_today(owner_tz: str, default_tz: str, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(owner_tz or default_tz)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(ZoneInfo(default_tz)).date()


def _delivery(nudge: Nudge, action: Action, error: str | None = None) -> Delivery:
    return Delivery(
        nudge_id=nudge.id,
        kind=nudge.kind,
        owner_id=action.owner_id,
        what=action.what,
        due_at=nudge.due_at,
        error=error,
    )
