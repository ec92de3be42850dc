"""One sweep of due nudges: claim a batch, send each, record what happened.

The database decides what is due and who sends it. A batch is claimed (with a lease) and
committed before anything is sent, so another sweeper never takes the same rows; each nudge
is then sent outside any transaction and recorded in its own short one. No transaction is
held open across a Slack call.

Effectively once, even through a kill -9:

- Before the post, the nudge is marked "sending" (with its lease) and the channel it goes
  to; the post carries the nudge id in its Slack message `metadata`. A sweeper that takes the
  row again (its lease ran out, or an attempt failed without Slack's answer) first reads that
  channel's recent history for the id: if the message is there, the nudge is marked sent with
  its ts, and nothing is posted again.
- When several nudges of one action are due at once (a sweep that runs late), only the most
  relevant goes: overdue beats due, due beats the reminder, an escalation beats them all. The
  others are marked superseded.
- Escalations are grouped: each person they go to (the facilitator, the leads) gets one DM per
  sweep listing every action escalated to them; each action still gets its own post in its
  review's thread.
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
from slack_sdk.errors import SlackClientError

from bot.jobs import slack_answers as answers
from bot.runtime.deps import Deps
from bot.slack.blocks.nudges import (
    NUDGE_EVENT,
    carried_nudge_ids,
    nudge_dm,
    nudge_metadata,
)
from bot.slack.clients import TeamClients, as_team_clients
from flows.nudges import NudgeKind
from storage import nudges as store
from storage.db import session_scope
from storage.models import Action, ActionStatus, Nudge, NudgeStatus, Review
from storage.visibility import can_see

log = logging.getLogger("aarbot.sweep")

__all__ = ["NUDGE_EVENT", "SweepResult", "carried_nudge_ids", "nudge_metadata", "sweep"]

LEASE = timedelta(minutes=5)
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
    """What one sweep sent, failed to send (and will retry or gave up on), and cancelled.

    `recovered`: nudges an earlier, interrupted attempt had already posted (found in Slack by
    their metadata), now marked sent without posting again. `superseded`: nudges not sent
    because a more relevant one of the same action went instead.
    """

    sent: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    cancelled: list[Delivery] = field(default_factory=list)
    superseded: list[Delivery] = field(default_factory=list)
    recovered: list[Delivery] = field(default_factory=list)


def default_worker() -> str:
    """A worker id unique to this process and sweeper: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class _Sweep:
    """What one sweep knows as it goes: its clocks, clients, DM channels and findings."""

    deps: Deps
    clients: TeamClients
    now: datetime
    worker: str
    result: SweepResult
    dm_channels: dict[str, dict[str, str]] = field(default_factory=dict)  # team -> user -> DM
    held: dict[str, str] = field(default_factory=dict)  # teams whose token Slack rejected
    seen: dict[tuple[str, str, str | None], dict[int, str]] = field(default_factory=dict)

    def dm(self, client: WebClient, team_id: str, user_id: str) -> str:
        return answers.dm_channel(client, user_id, self.dm_channels.setdefault(team_id, {}))

    def posted(
        self, client: WebClient, team_id: str, channel: str, thread_ts: str | None = None
    ) -> dict[int, str]:
        """Nudge id -> ts of the nudge posts in a DM's recent history (or in a thread)."""
        key = (team_id, channel, thread_ts)
        if key not in self.seen:
            self.seen[key] = answers.read_posted(client, channel, thread_ts)
        return self.seen[key]


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
    Escalations are claimed as the batches come and sent together at the end, grouped.
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
    run = _Sweep(deps, as_team_clients(client), now, worker, result)
    escalations: list[tuple[Nudge, Review]] = []
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
            break
        with session_scope(deps.engine) as session:
            claimed = store.claimed_with_context(session=session, nudge_ids=ids)
        for nudge, _action, review in claimed:
            if nudge.kind == NudgeKind.ESCALATION:
                escalations.append((nudge, review))
            else:
                _deliver(run, nudge, review)
        if len(ids) < batch:
            break
    if escalations:
        from bot.jobs.escalations import escalate  # it builds on this module's helpers

        escalate(run, escalations)
    return result


def _open_action(run: _Sweep, nudge: Nudge) -> Action | None:
    """The nudge's action if it is still open and this nudge is still the one to send.

    Read again just before sending: a Done or Drop click since the claim wins, and so does a
    more relevant nudge of the same action due at the same time.
    """
    with session_scope(run.deps.engine) as session:
        action = session.get(Action, nudge.action_id)
        if action is None or action.status != ActionStatus.OPEN:
            store.mark_cancelled(session=session, nudge_id=nudge.id, worker=run.worker)
            if action is not None:
                run.result.cancelled.append(_delivery(nudge, action))
            return None
        if store.outranked(session=session, nudge=nudge, now=run.now):
            store.mark_superseded(session=session, nudge_id=nudge.id, worker=run.worker)
            run.result.superseded.append(_delivery(nudge, action))
            return None
        return action


def _deliver(run: _Sweep, nudge: Nudge, review: Review) -> None:
    action = _open_action(run, nudge)
    if action is None:
        return
    if review.team_id in run.held:
        # The token is dead for every nudge of the team: no need to hear it again.
        _release(run, nudge, action, run.held[review.team_id])
        return
    # `unsure`: an earlier attempt got as far as posting (it died, or failed without Slack's
    # answer); `posting`: this attempt has begun to post.
    attempt = {"unsure": answers.may_have_posted(nudge), "posting": False}
    try:
        outcome = _post_nudge(run, nudge, action, review, attempt)
    except (SlackClientError, OSError) as err:
        if answers.token_rejected(err):
            _hold_team(run, review.team_id, answers.failure(err, nudge.attempts)[0])
            _release(run, nudge, action, run.held[review.team_id])
            return
        error, retry_in, permanent = answers.failure(err, nudge.attempts)
        max_attempts = 1 if permanent else run.deps.settings.nudge_max_attempts
        unsure = attempt["unsure"] or (attempt["posting"] and answers.unanswered(err))
        _fail(run, nudge, action, error, retry_in, max_attempts, unsure)
    except Exception as err:
        # Not Slack's answer but a bug (in rendering, or in data the code did not expect):
        # another try fails the same way, and would put this nudge first in every sweep.
        log.exception("nudge %s could not be sent", nudge.id)
        error = f"{type(err).__name__}: {err}"
        _fail(run, nudge, action, error, timedelta(0), 1, attempt["unsure"] or attempt["posting"])
    else:
        if outcome is not None:
            _record(run, nudge, action, *outcome)


def _post_nudge(
    run: _Sweep, nudge: Nudge, action: Action, review: Review, attempt: dict[str, bool]
) -> tuple[str, str, bool] | None:
    """Post the owner's DM; (channel, ts, recovered), or None if the claim was lost first."""
    hidden = _hidden_from_owner(run.deps, action, review)
    # NotInstalledError (a team without a token) is a client error too: retried, then failed.
    client = run.clients.for_team(review.team_id)
    channel = run.dm(client, review.team_id, action.owner_id)
    if attempt["unsure"]:
        earlier = nudge.channel_id or channel
        found = run.posted(client, review.team_id, earlier)
        if nudge.id in found:
            return earlier, found[nudge.id], True
        attempt["unsure"] = False  # looked: it never went out
    today = _local_today(action.owner_tz, run.deps.settings.default_tz, run.now)
    text, blocks = nudge_dm(
        kind=nudge.kind, action=action, review=review, today=today, hidden=hidden
    )
    if not _mark_sending(run, nudge, channel):
        return None
    attempt["posting"] = True
    posted = client.chat_postMessage(
        channel=channel, text=text, blocks=blocks, metadata=nudge_metadata(nudge.id)
    )
    return posted["channel"], posted["ts"], False


def _mark_sending(run: _Sweep, nudge: Nudge, channel: str) -> bool:
    with session_scope(run.deps.engine) as session:
        held = store.mark_sending(
            session=session,
            nudge_id=nudge.id,
            worker=run.worker,
            channel_id=channel,
            lease_until=run.deps.clock() + LEASE,
        )
    if not held:
        log.warning("nudge %s: this worker lost its claim before sending; not sent", nudge.id)
    return held


def _record(
    run: _Sweep,
    nudge: Nudge,
    action: Action,
    channel_id: str,
    ts: str,
    recovered: bool = False,
) -> None:
    with session_scope(run.deps.engine) as session:
        held = store.mark_sent(
            session=session,
            nudge_id=nudge.id,
            worker=run.worker,
            channel_id=channel_id,
            ts=ts,
            now=run.now,
        )
    if not held:
        # The lease ran out mid-send (or the action was closed meanwhile); say so loudly,
        # because another sweeper may now send this nudge again.
        log.error("nudge %s was sent after this worker lost its claim", nudge.id)
    if recovered:
        log.info("nudge %s was already posted (%s) by an interrupted attempt", nudge.id, ts)
        run.result.recovered.append(_delivery(nudge, action))
    else:
        run.result.sent.append(_delivery(nudge, action))


def _fail(
    run: _Sweep,
    nudge: Nudge,
    action: Action,
    error: str,
    retry_in: timedelta,
    max_attempts: int,
    maybe_posted: bool,
) -> None:
    with session_scope(run.deps.engine) as session:
        status = store.mark_attempt_failed(
            session=session,
            nudge_id=nudge.id,
            worker=run.worker,
            error=error,
            now=run.now,
            retry_in=retry_in,
            max_attempts=max_attempts,
            maybe_posted=maybe_posted,
        )
    log.warning("nudge %s attempt %s failed (%s): %s", nudge.id, nudge.attempts, status, error)
    run.result.failed.append(_delivery(nudge, action, error=f"{error} ({status})"))


def _hold_team(run: _Sweep, team_id: str, error: str) -> None:
    # Not this nudge's fault: hold the team's nudges, and ask the installation store for
    # its token again next time, so a reinstall is picked up.
    log.error("Slack rejected team %s's token (%s)", team_id, error)
    run.held[team_id] = error
    run.clients.forget(team_id)


def _hidden_from_owner(deps: Deps, action: Action, review: Review) -> bool:
    """True when the owner may not see the review, so their nudge leaves it unnamed."""
    # Owning an action grants the action, not a confidential review (storage/visibility.py).
    with session_scope(deps.engine) as session:
        is_lead = action.owner_id in deps.settings.leads
        return not can_see(
            session=session, review=review, viewer_id=action.owner_id, is_lead=is_lead
        )


def _release(run: _Sweep, nudge: Nudge, action: Action, error: str) -> None:
    with session_scope(run.deps.engine) as session:
        store.release(
            session=session,
            nudge_id=nudge.id,
            worker=run.worker,
            error=error,
            not_before=run.now + TOKEN_HOLD,
        )
    run.result.failed.append(_delivery(nudge, action, error=f"{error} ({NudgeStatus.PENDING})"))


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
