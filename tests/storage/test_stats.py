"""`/aar stats` on a small data set whose figures were worked out by hand.

The clock stops at Monday 15 June 2026, 12:00 UTC; the default window of 90 days starts on
17 March. Reviews (all posted unless said otherwise):

| review | channel   | template   | gap     | started      | other                         |
| ------ | --------- | ---------- | ------- | ------------ | ----------------------------- |
| r1     | C0GENERAL | miss       | process | 1 Jun 09:00  |                               |
| r2     | C0GENERAL | miss       | process | 5 Jun 09:00  | repeats r1                    |
| r3     | C0OPS     | postmortem | skill   | 20 May 09:00 |                               |
| r4     | C0GENERAL | success    | -       | 10 Jun 09:00 |                               |
| r5     | C0GENERAL | miss       | context | 8 Jun 09:00  | confidential, Bob; repeats r1 |

Out of every count: an old review (January), an unposted draft, and another workspace's.

Actions (owner in UTC unless said; "days" = review start to done; all dates 2026):

| action | review | state   | due    | done (UTC)   | on time?                | days | score |
| ------ | ------ | ------- | ------ | ------------ | ----------------------- | ---- | ----- |
| a1     | r1     | done    | 10 Jun | 9 Jun 09:00  | yes                     | 8.0  | 4     |
| a2     | r1     | done    | 5 Jun  | 7 Jun 21:00  | no                      | 6.5  | 2     |
| a3     | r1     | open    | 12 Jun |              | overdue                 |      | 3     |
| a4     | r2     | open    | 20 Jun |              | not due yet             |      | 1     |
| a5     | r2     | dropped | 1 Jun  | 2 Jun        | left out                |      | 0     |
| a6     | r3     | done    | 25 May | 25 May 21:00 | no: 26 May in Tokyo     | 5.5  | 4     |
| a7     | r3     | done    | 25 May | 26 May 03:00 | yes: 25 May in LA       | 5.75 | 3     |
| a8     | r4     | open    | 15 Jun |              | due today: not overdue  |      | 2     |
| a9     | r4     | open    | 15 Jun |              | overdue: 16 Jun at +14h |      | 1     |
| a10    | r5     | done    | 12 Jun | 11 Jun 09:00 | yes                     | 3.0  | 4     |
| a11    | r5     | open    | 10 Jun |              | overdue                 |      | 2     |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, delete

from flows.stats import Figures, scope_figures
from storage import reviews as store
from storage.models import Action, ActionStatus, Participant, Review
from storage.stats import review_counts
from storage.visibility import visible_review_ids

TEAM = "T0001"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@dataclass
class Data:
    """Ids of the reviews of the data set."""

    r1: int
    r5: int


def _review(
    session: Session,
    *,
    channel: str = "C0GENERAL",
    template: str = "miss",
    gap: str | None = None,
    started: datetime,
    repeat_of: int | None = None,
    confidential: bool = False,
    participants: tuple[str, ...] = (),
    team: str = TEAM,
    posted: bool = True,
) -> Review:
    review = store.create_review(
        session=session,
        team_id=team,
        template=template,
        kind="success" if template == "success" else "miss",
        title=f"{template} in {channel}",
        channel_id=channel,
        facilitator_id="U0ALICE",
        participant_ids=participants,
        confidential=confidential,
    )
    review.gap_type = gap
    review.created_at = started
    review.repeat_of_id = repeat_of
    if posted:
        review.message_ts = review.thread_ts = f"1780000000.{review.id:06d}"
    session.flush()
    return review


def _action(
    session: Session,
    review: Review,
    *,
    due: date,
    score: int,
    status: str = ActionStatus.OPEN,
    done_at: datetime | None = None,
    tz: str = "UTC",
) -> Action:
    action = store.add_action(
        session=session,
        review_id=review.id,
        what="Add a canary stage",
        owner_id="U0BOB",
        owner_tz=tz,
        review_date=due,
        success_criterion="No deploy incidents for 30 days",
        kind="fix",
        specificity=score,
        created_by="U0ALICE",
    )
    action.status = status
    action.completed_at = done_at
    session.flush()
    return action


@pytest.fixture
def data(session: Session) -> Data:
    """The data set of the module docstring."""
    r1 = _review(session, gap="process", started=_at(6, 1))
    r2 = _review(session, gap="process", started=_at(6, 5), repeat_of=r1.id)
    r3 = _review(session, channel="C0OPS", template="postmortem", gap="skill", started=_at(5, 20))
    r4 = _review(session, template="success", started=_at(6, 10))
    r5 = _review(
        session,
        gap="context",
        started=_at(6, 8),
        repeat_of=r1.id,
        confidential=True,
        participants=("U0BOB",),
    )
    done, dropped = ActionStatus.DONE, ActionStatus.DROPPED
    _action(session, r1, due=date(2026, 6, 10), score=4, status=done, done_at=_at(6, 9))
    _action(session, r1, due=date(2026, 6, 5), score=2, status=done, done_at=_at(6, 7, 21))
    _action(session, r1, due=date(2026, 6, 12), score=3)
    _action(session, r2, due=date(2026, 6, 20), score=1)
    _action(session, r2, due=date(2026, 6, 1), score=0, status=dropped, done_at=_at(6, 2))
    _action(
        session,
        r3,
        due=date(2026, 5, 25),
        score=4,
        status=done,
        done_at=_at(5, 25, 21),
        tz="Asia/Tokyo",
    )
    _action(
        session,
        r3,
        due=date(2026, 5, 25),
        score=3,
        status=done,
        done_at=_at(5, 26, 3),
        tz="America/Los_Angeles",
    )
    _action(session, r4, due=date(2026, 6, 15), score=2)
    _action(session, r4, due=date(2026, 6, 15), score=1, tz="Pacific/Kiritimati")
    _action(session, r5, due=date(2026, 6, 12), score=4, status=done, done_at=_at(6, 11))
    _action(session, r5, due=date(2026, 6, 10), score=2)

    # Never counted: too old, never posted, another workspace's.
    old = _review(session, started=_at(1, 5))
    _action(session, old, due=date(2026, 1, 20), score=4)
    draft = _review(session, started=_at(6, 12), posted=False)
    _action(session, draft, due=date(2026, 6, 13), score=4)
    elsewhere = _review(session, team="T0OTHER", gap="resources", started=_at(6, 12))
    _action(session, elsewhere, due=date(2026, 6, 13), score=4)
    _action(session, elsewhere, due=date(2026, 6, 14), score=4, status=done, done_at=_at(6, 13))
    session.commit()
    return Data(r1=r1.id, r5=r5.id)


def _figures(
    session: Session,
    *,
    viewer: str = "U0CAROL",
    lead: bool = False,
    channel: str | None = None,
    days: int = 90,
    team: str = TEAM,
) -> Figures:
    return scope_figures(
        session=session,
        team_id=team,
        viewer_id=viewer,
        is_lead=lead,
        now=NOW,
        days=days,
        channel_id=channel,
    )


@pytest.mark.usefixtures("data")
def test_a_lead_sees_the_whole_workspace_figures(session: Session) -> None:
    figures = _figures(session, viewer="U0LEAD", lead=True)
    assert figures.reviews == 5
    assert dict(figures.by_template) == {"miss": 3, "postmortem": 1, "success": 1}
    assert dict(figures.by_gap_type) == {"process": 2, "skill": 1, "context": 1, None: 1}
    assert (figures.repeats.part, figures.repeats.whole) == (2, 5)
    assert figures.repeats.ratio == pytest.approx(0.4)
    # done: a1, a2, a6, a7, a10 (on time: a1, a7, a10); late and open: a3, a9, a11
    assert (figures.done_on_time.part, figures.done_on_time.whole) == (3, 8)
    assert figures.overdue == 3
    assert figures.median_days_to_done == pytest.approx(5.75)  # 3.0 5.5 [5.75] 6.5 8.0
    assert figures.mean_specificity == pytest.approx(26 / 11)
    assert figures.confidential == 1


@pytest.mark.usefixtures("data")
def test_someone_outside_a_confidential_review_does_not_have_it_counted(
    session: Session,
) -> None:
    figures = _figures(session, viewer="U0CAROL")
    assert figures.reviews == 4
    assert dict(figures.by_template) == {"miss": 2, "postmortem": 1, "success": 1}
    assert dict(figures.by_gap_type) == {"process": 2, "skill": 1, None: 1}
    assert (figures.repeats.part, figures.repeats.whole) == (1, 4)
    assert (figures.done_on_time.part, figures.done_on_time.whole) == (2, 6)
    assert figures.overdue == 2
    assert figures.median_days_to_done == pytest.approx(6.125)  # 5.5 [5.75 6.5] 8.0
    assert figures.mean_specificity == pytest.approx(20 / 9)
    assert figures.confidential == 0


@pytest.mark.usefixtures("data")
def test_a_participant_of_the_confidential_review_sees_it_counted(session: Session) -> None:
    assert _figures(session, viewer="U0BOB") == _figures(session, viewer="U0LEAD", lead=True)
    assert _figures(session, viewer="U0ALICE").confidential == 1  # its facilitator


@pytest.mark.usefixtures("data")
def test_channel_figures_count_only_that_channel(session: Session) -> None:
    lead = _figures(session, viewer="U0LEAD", lead=True, channel="C0GENERAL")
    assert lead.reviews == 4
    assert dict(lead.by_template) == {"miss": 3, "success": 1}
    assert (lead.repeats.part, lead.repeats.whole) == (2, 4)
    assert (lead.done_on_time.part, lead.done_on_time.whole) == (2, 6)
    assert lead.overdue == 3
    assert lead.median_days_to_done == pytest.approx(6.5)  # 3.0 [6.5] 8.0
    assert lead.mean_specificity == pytest.approx(19 / 9)

    carol = _figures(session, viewer="U0CAROL", channel="C0GENERAL")
    assert carol.reviews == 3
    assert (carol.repeats.part, carol.repeats.whole) == (1, 3)
    assert (carol.done_on_time.part, carol.done_on_time.whole) == (1, 4)
    assert carol.overdue == 2
    assert carol.median_days_to_done == pytest.approx(7.25)  # [6.5 8.0]
    assert carol.mean_specificity == pytest.approx(13 / 7)

    ops = _figures(session, viewer="U0CAROL", channel="C0OPS")
    assert (ops.reviews, ops.done_on_time.part, ops.done_on_time.whole) == (1, 1, 2)
    assert _figures(session, channel="C0NOWHERE").reviews == 0


@pytest.mark.usefixtures("data")
def test_the_window_is_counted_back_from_now(session: Session) -> None:
    # 20 days back is 26 May, 12:00: r3 (20 May) falls out, and with it a6 and a7.
    figures = _figures(session, viewer="U0LEAD", lead=True, days=20)
    assert figures.reviews == 4
    assert "postmortem" not in figures.by_template
    assert (figures.done_on_time.part, figures.done_on_time.whole) == (2, 6)
    assert _figures(session, viewer="U0LEAD", lead=True, days=3650).reviews == 6  # + January


@pytest.mark.usefixtures("data")
def test_another_workspace_sees_only_its_own(session: Session) -> None:
    other = _figures(session, viewer="U0LEAD", lead=True, team="T0OTHER")
    assert other.reviews == 1
    assert dict(other.by_gap_type) == {"resources": 1}
    assert (other.done_on_time.part, other.done_on_time.whole) == (1, 2)
    assert other.overdue == 1
    assert _figures(session, viewer="U0LEAD", lead=True, team="T0NONE").reviews == 0


def test_nothing_to_count_gives_empty_figures(session: Session) -> None:
    figures = _figures(session, viewer="U0LEAD", lead=True)
    assert figures.reviews == 0
    assert figures.repeats.ratio is None
    assert figures.done_on_time.ratio is None
    assert figures.median_days_to_done is None
    assert figures.mean_specificity is None


def test_the_facilitator_sees_a_confidential_review_without_a_participant_row(
    session: Session, data: Data
) -> None:
    session.exec(delete(Participant).where(Participant.review_id == data.r5))
    session.commit()
    seen = visible_review_ids(
        session=session, review_ids=[data.r1, data.r5], viewer_id="U0ALICE", is_lead=False
    )
    assert seen == {data.r1, data.r5}
    counts = review_counts(
        session=session,
        team_id=TEAM,
        since=_at(1, 1),
        viewer_id="U0BOB",  # no longer a participant
        is_lead=False,
    )
    assert counts.confidential == 0
