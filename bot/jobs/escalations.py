"""Escalations in a nudge sweep: each recipient (facilitator, leads) gets one DM per sweep
listing their escalated actions, each with its own buttons, and each action's thread gets its
own post. Called by bot.jobs.nudges, whose delivery helpers it shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.jobs import slack_answers as answers
from bot.jobs.nudges import (
    _fail,
    _hold_team,
    _local_today,
    _mark_sending,
    _open_action,
    _record,
    _release,
    _Sweep,
    log,
)
from bot.slack.blocks.nudges import (
    DIGEST_ACTIONS,
    escalation_digest,
    escalation_messages,
    nudge_metadata,
)
from storage.models import Action, Nudge, Review


@dataclass
class _Escalation:
    """One escalated action in a sweep: where its messages went, or why it failed."""

    nudge: Nudge
    action: Action
    review: Review
    days_late: int
    recipients: list[str]
    unsure: bool  # an earlier attempt may have posted some of its messages
    dms: dict[str, tuple[str, str]] = field(default_factory=dict)  # person -> (channel, ts)
    thread: tuple[str, str] | None = None
    posted_now: bool = False  # this sweep posted at least one of its messages
    failure: tuple[str, timedelta, int, bool] | None = None  # error, retry in, attempts, unsure
    held: str | None = None  # the team's token was rejected before anything went out

    @property
    def delivered(self) -> bool:
        return bool(self.dms) or self.thread is not None

    @property
    def out(self) -> bool:
        """Given up for this sweep: failed before any of its messages went out."""
        return self.failure is not None or self.held is not None

    def failed(self, run: _Sweep, err: Exception, *, posting: bool) -> None:
        """A message of this escalation failed: before the first one went out, the whole
        escalation is retried later (so a retry repeats nothing); after it, the rest still go
        and the failure is only logged (so a retry never DMs anyone twice)."""
        if self.delivered:
            log.warning("escalation %s: a message failed: %s", self.nudge.id, answers.describe(err))
            return
        if answers.token_rejected(err):
            _hold_team(run, self.review.team_id, answers.failure(err, self.nudge.attempts)[0])
            self.held = run.held[self.review.team_id]
            return
        if not isinstance(err, SlackClientError | OSError):
            log.error("escalation %s could not be sent", self.nudge.id, exc_info=err)
            self.failure = (f"{type(err).__name__}: {err}", timedelta(0), 1, True)
            return
        error, retry_in, permanent = answers.failure(err, self.nudge.attempts)
        attempts = 1 if permanent else run.deps.settings.nudge_max_attempts
        self.failure = (
            error,
            retry_in,
            attempts,
            self.unsure or (posting and answers.unanswered(err)),
        )


def escalate(run: _Sweep, claimed: list[tuple[Nudge, Review]]) -> None:
    """Post each escalation in its review's thread and DM each facilitator and lead once.

    A person several actions are escalated to gets one DM listing them all (one per action
    when only one is). Each message carries the ids of the nudges it stands for, so a retry
    after a crash reads the thread and the DMs first and sends only what is missing.
    """
    items: list[_Escalation] = []
    for nudge, review in claimed:
        action = _open_action(run, nudge)
        if action is None:
            continue
        if review.team_id in run.held:
            _release(run, nudge, action, run.held[review.team_id])
            continue
        today = _local_today(action.owner_tz, run.deps.settings.default_tz, run.now)
        people = list(dict.fromkeys([review.facilitator_id, *run.deps.settings.leads]))
        days = (today - action.review_date).days
        items.append(
            _Escalation(nudge, action, review, days, people, unsure=answers.may_have_posted(nudge))
        )
    by_team: dict[str, list[_Escalation]] = {}
    for item in items:
        by_team.setdefault(item.review.team_id, []).append(item)
    for team_id, team_items in by_team.items():
        _escalate_team(run, team_id, team_items)
    for item in items:
        _settle_escalation(run, item)


def _escalate_team(run: _Sweep, team_id: str, items: list[_Escalation]) -> None:
    try:
        client = run.clients.for_team(team_id)
    except (SlackClientError, OSError) as err:
        for item in items:
            item.failed(run, err, posting=False)
        return
    for item in items:
        if item.unsure:
            _find_earlier_escalation(run, client, team_id, item)
    live = [item for item in items if not item.out]
    for item in live:
        if not _mark_sending(run, item.nudge, item.review.channel_id):
            item.held = "claim lost"
    people = list(dict.fromkeys(p for item in live for p in item.recipients))
    for person in people:
        if team_id in run.held:
            break
        waiting = [i for i in live if not i.out and person in i.recipients and person not in i.dms]
        if waiting:
            _dm_escalations(run, client, team_id, person, waiting)
    for item in live:
        if item.out or item.thread is not None or team_id in run.held:
            continue
        (text, blocks), _dm = escalation_messages(item.action, item.review, item.days_late)
        try:
            posted = client.chat_postMessage(
                channel=item.review.channel_id,
                thread_ts=item.review.thread_ts or item.review.message_ts,
                text=text,
                blocks=blocks,
                metadata=nudge_metadata(item.nudge.id),
            )
        except Exception as err:
            item.failed(run, err, posting=True)
            continue
        item.thread = (posted["channel"], posted["ts"])
        item.posted_now = True


def _find_earlier_escalation(
    run: _Sweep, client: WebClient, team_id: str, item: _Escalation
) -> None:
    """What an interrupted attempt already posted for this escalation, from Slack itself."""
    review = item.review
    try:
        thread_ts = review.thread_ts or review.message_ts
        if thread_ts:
            found = run.posted(client, team_id, review.channel_id, thread_ts)
            if item.nudge.id in found:
                item.thread = (review.channel_id, found[item.nudge.id])
        for person in item.recipients:
            try:
                dm = run.dm(client, team_id, person)
            except SlackApiError as err:
                if answers.unreachable(err):
                    continue
                raise
            found = run.posted(client, team_id, dm)
            if item.nudge.id in found:
                item.dms[person] = (dm, found[item.nudge.id])
    except Exception as err:
        item.failed(run, err, posting=False)
        return
    item.unsure = False


def _dm_escalations(
    run: _Sweep, client: WebClient, team_id: str, person: str, waiting: list[_Escalation]
) -> None:
    """One DM to `person` listing `waiting` (one per DIGEST_ACTIONS of them)."""
    try:
        dm = run.dm(client, team_id, person)
    except Exception as err:
        if answers.unreachable(err):
            # With several workspaces, a lead of another one is not in this one.
            log.info("escalation DM: %s cannot get a DM: %s", person, answers.describe(err))
            return
        for item in waiting:
            item.failed(run, err, posting=False)
        return
    for start in range(0, len(waiting), DIGEST_ACTIONS):
        chunk = waiting[start : start + DIGEST_ACTIONS]
        if len(chunk) == 1:
            [item] = chunk
            _thread, (text, blocks) = escalation_messages(item.action, item.review, item.days_late)
        else:
            text, blocks = escalation_digest([(i.action, i.review, i.days_late) for i in chunk])
        try:
            posted = client.chat_postMessage(
                channel=dm,
                text=text,
                blocks=blocks,
                metadata=nudge_metadata(*(i.nudge.id for i in chunk)),
            )
        except Exception as err:
            if answers.unreachable(err):
                log.info("escalation DM: %s cannot get a DM: %s", person, answers.describe(err))
                return
            for item in chunk:
                item.failed(run, err, posting=True)
            continue
        for item in chunk:
            item.dms[person] = (posted["channel"], posted["ts"])
            item.posted_now = True


def _settle_escalation(run: _Sweep, item: _Escalation) -> None:
    """Record the escalation: sent (its thread post, else its first DM, is the record), put
    back for a retry, or failed."""
    if item.held == "claim lost":
        return
    if item.held is not None:
        _release(run, item.nudge, item.action, item.held)
        return
    if item.failure is not None:
        error, retry_in, attempts, unsure = item.failure
        _fail(run, item.nudge, item.action, error, retry_in, attempts, unsure)
        return
    first_dm = next(iter(item.dms.values()), None)
    record = item.thread or first_dm
    if record is None:
        # Nobody could get a DM and there is no thread to post in.
        _fail(run, item.nudge, item.action, "no one to escalate to", timedelta(0), 1, False)
        return
    _record(run, item.nudge, item.action, *record, not item.posted_now)
