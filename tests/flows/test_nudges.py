from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.nudges import NudgeKind, NudgePolicy, PlannedNudge, format_due, local_date, plan

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
KIND_ORDER = [NudgeKind.REMINDER, NudgeKind.DUE, NudgeKind.OVERDUE, NudgeKind.ESCALATION]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def planned(review_date, tz, policy=None, *, now=LONG_AGO, **kwargs) -> dict[NudgeKind, datetime]:
    nudges = plan(
        review_date=review_date,
        owner_tz=tz,
        policy=policy or NudgePolicy(),
        now=now,
        **kwargs,
    )
    return {nudge.kind: nudge.due_at for nudge in nudges}


# Wednesday review dates: reminder on Monday, overdue on Friday, escalation the next Wednesday.
@pytest.mark.parametrize(
    ("tz", "review_date", "hour_utc", "day_shift"),
    [
        ("Europe/Berlin", date(2026, 1, 14), 8, 0),  # CET, UTC+1
        ("Europe/Berlin", date(2026, 7, 15), 7, 0),  # CEST, UTC+2
        ("America/New_York", date(2026, 1, 14), 14, 0),  # EST, UTC-5
        ("America/New_York", date(2026, 7, 15), 13, 0),  # EDT, UTC-4
        ("Asia/Tokyo", date(2026, 1, 14), 0, 0),  # JST, UTC+9, no DST
        ("Asia/Tokyo", date(2026, 7, 15), 0, 0),
    ],
)
def test_nudges_go_out_at_nine_local_in_each_zone(tz, review_date, hour_utc, day_shift):
    def at(offset_days: int) -> datetime:
        day = review_date + timedelta(days=offset_days + day_shift)
        return utc(day.year, day.month, day.day, hour_utc)

    assert planned(review_date, tz) == {
        NudgeKind.REMINDER: at(-2),
        NudgeKind.DUE: at(0),
        NudgeKind.OVERDUE: at(2),
        NudgeKind.ESCALATION: at(7),
    }


def test_plan_is_sorted_by_due_at_and_every_instant_is_utc():
    nudges = plan(
        review_date=date(2026, 1, 14), owner_tz="Asia/Tokyo", policy=NudgePolicy(), now=LONG_AGO
    )
    assert [nudge.kind for nudge in nudges] == KIND_ORDER
    assert nudges == sorted(nudges)
    assert all(nudge.due_at.tzinfo is UTC for nudge in nudges)


def test_nudges_either_side_of_the_october_switch_have_different_offsets():
    # Europe leaves summer time on Sunday 25 Oct 2026; the reminder lands on Friday 23 Oct.
    result = planned(date(2026, 10, 27), "Europe/Berlin")
    assert result[NudgeKind.REMINDER] == utc(2026, 10, 23, 7)  # 09:00 CEST
    assert result[NudgeKind.DUE] == utc(2026, 10, 27, 8)  # 09:00 CET


def test_nudge_hour_inside_spring_forward_gap_moves_to_the_end_of_the_gap():
    # 02:30 on 8 Mar 2026 never happens in New York: clocks go from 02:00 EST to 03:00 EDT.
    policy = NudgePolicy(hour=2, minute=30, skip_weekends=False)
    result = planned(date(2026, 3, 8), "America/New_York", policy)
    assert result[NudgeKind.DUE] == utc(2026, 3, 8, 7)  # 03:00 EDT, the first instant after
    assert result[NudgeKind.REMINDER] == utc(2026, 3, 6, 7, 30)  # 02:30 EST, an ordinary day


def test_half_hour_gap_on_lord_howe():
    # Lord Howe Island goes from 02:00 (UTC+10:30) to 02:30 (UTC+11) on 4 Oct 2026.
    policy = NudgePolicy(hour=2, minute=15, skip_weekends=False)
    result = planned(date(2026, 10, 4), "Australia/Lord_Howe", policy)
    assert result[NudgeKind.DUE] == utc(2026, 10, 3, 15, 30)
    assert result[NudgeKind.DUE].astimezone(ZoneInfo("Australia/Lord_Howe")).time().isoformat() == (
        "02:30:00"
    )


@pytest.mark.parametrize(
    ("tz", "review_date", "hour", "minute", "expected"),
    [
        # 01:30 happens twice in New York on 1 Nov 2026; the first is still EDT (UTC-4).
        ("America/New_York", date(2026, 11, 1), 1, 30, utc(2026, 11, 1, 5, 30)),
        # 02:30 happens twice in Berlin on 25 Oct 2026; the first is still CEST (UTC+2).
        ("Europe/Berlin", date(2026, 10, 25), 2, 30, utc(2026, 10, 25, 0, 30)),
        # 01:45 happens twice on Lord Howe on 5 Apr 2026; the first is still UTC+11.
        ("Australia/Lord_Howe", date(2026, 4, 5), 1, 45, utc(2026, 4, 4, 14, 45)),
    ],
)
def test_ambiguous_hour_uses_the_first_occurrence(tz, review_date, hour, minute, expected):
    policy = NudgePolicy(hour=hour, minute=minute, skip_weekends=False)
    assert planned(review_date, tz, policy)[NudgeKind.DUE] == expected


def test_review_date_on_saturday_is_nudged_on_friday():
    result = planned(date(2026, 7, 18), "UTC")
    assert result == {
        NudgeKind.REMINDER: utc(2026, 7, 16, 9),  # Thursday
        NudgeKind.DUE: utc(2026, 7, 17, 9),  # Friday before
        NudgeKind.OVERDUE: utc(2026, 7, 20, 9),  # Monday, exactly two days on
        NudgeKind.ESCALATION: utc(2026, 7, 27, 9),  # Saturday 25th, moved to Monday
    }


def test_overdue_landing_on_sunday_moves_to_monday_not_back_to_friday():
    # Review on Friday 17 Jul: overdue on Sunday 19th must not come back to the due day.
    result = planned(date(2026, 7, 17), "UTC")
    assert result[NudgeKind.DUE] == utc(2026, 7, 17, 9)
    assert result[NudgeKind.OVERDUE] == utc(2026, 7, 20, 9)


def test_escalation_stays_after_overdue_when_both_land_on_a_weekend():
    # Thursday 16 Jul: overdue Sat 18th -> Mon 20th; escalation Sun 19th -> Tue 21st.
    policy = NudgePolicy(overdue_days=2, escalate_after_days=3)
    result = planned(date(2026, 7, 16), "UTC", policy)
    assert result[NudgeKind.OVERDUE] == utc(2026, 7, 20, 9)
    assert result[NudgeKind.ESCALATION] == utc(2026, 7, 21, 9)


@pytest.mark.parametrize(
    ("review_date", "days_before"),
    [
        (date(2026, 7, 19), 2),  # Sunday: reminder Fri 17th, due moved to Fri 17th
        (date(2026, 7, 19), 1),  # Sunday: reminder Sat 18th -> Fri 17th
        (date(2026, 7, 18), 1),  # Saturday: reminder Fri 17th, due moved to Fri 17th
    ],
)
def test_reminder_pushed_onto_the_due_day_is_dropped(review_date, days_before):
    result = planned(review_date, "UTC", NudgePolicy(days_before=days_before))
    assert NudgeKind.REMINDER not in result
    assert result[NudgeKind.DUE] == utc(2026, 7, 17, 9)


def test_weekend_nudges_stay_put_when_weekends_are_not_skipped():
    result = planned(date(2026, 7, 19), "UTC", NudgePolicy(skip_weekends=False))
    assert result == {
        NudgeKind.REMINDER: utc(2026, 7, 17, 9),
        NudgeKind.DUE: utc(2026, 7, 19, 9),
        NudgeKind.OVERDUE: utc(2026, 7, 21, 9),
        NudgeKind.ESCALATION: utc(2026, 7, 26, 9),
    }


def test_days_before_zero_means_no_reminder():
    result = planned(date(2026, 7, 15), "UTC", NudgePolicy(days_before=0))
    assert list(result) == [NudgeKind.DUE, NudgeKind.OVERDUE, NudgeKind.ESCALATION]


def test_past_nudges_are_left_out():
    # Created on the afternoon of the review date: no reminder, no late "due today".
    now = utc(2026, 7, 15, 15)
    result = planned(date(2026, 7, 15), "UTC", now=now)
    assert result == {
        NudgeKind.OVERDUE: utc(2026, 7, 17, 9),
        NudgeKind.ESCALATION: utc(2026, 7, 22, 9),
    }


def test_nudge_due_exactly_now_is_kept():
    result = planned(date(2026, 7, 15), "UTC", now=utc(2026, 7, 15, 9))
    assert NudgeKind.DUE in result
    assert NudgeKind.REMINDER not in result


def test_everything_in_the_past_gives_an_empty_plan():
    assert planned(date(2026, 7, 15), "UTC", now=utc(2027, 1, 1)) == {}


@pytest.mark.parametrize("tz", ["", "Mars/Olympus_Mons", "../etc/passwd", "/etc/localtime"])
def test_unknown_zone_uses_the_fallback(tz):
    fallback = planned(date(2026, 1, 14), tz, fallback_tz="Europe/Berlin")
    assert fallback[NudgeKind.DUE] == utc(2026, 1, 14, 8)
    assert planned(date(2026, 1, 14), tz)[NudgeKind.DUE] == utc(2026, 1, 14, 9)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(
            review_date=date(2026, 1, 14),
            owner_tz="UTC",
            policy=NudgePolicy(),
            now=datetime(2026, 1, 1),  # noqa: DTZ001 - the naive value under test
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"days_before": -1},
        {"overdue_days": 0},
        {"overdue_days": 3, "escalate_after_days": 3},
        {"hour": 24},
        {"minute": 60},
    ],
)
def test_policy_that_would_collapse_nudges_is_refused(kwargs):
    with pytest.raises(ValueError, match="must"):
        NudgePolicy(**kwargs)


def test_planned_nudges_order_by_time_first():
    early = PlannedNudge(utc(2026, 1, 1), NudgeKind.REMINDER)
    late = PlannedNudge(utc(2026, 1, 2), NudgeKind.DUE)
    assert sorted([late, early]) == [early, late]


ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Africa/Cairo",
    "Pacific/Auckland",
]


@st.composite
def policies(draw: st.DrawFn) -> NudgePolicy:
    overdue_days = draw(st.integers(1, 5))
    return NudgePolicy(
        days_before=draw(st.integers(0, 6)),
        overdue_days=overdue_days,
        escalate_after_days=draw(st.integers(overdue_days + 1, overdue_days + 10)),
        hour=draw(st.integers(0, 23)),
        minute=draw(st.sampled_from([0, 15, 30, 45, 59])),
        skip_weekends=draw(st.booleans()),
    )


@given(
    review_date=st.dates(date(2026, 1, 1), date(2030, 12, 31)),
    tz=st.sampled_from(ZONES),
    policy=policies(),
)
def test_plan_is_ordered_utc_and_on_working_days(review_date, tz, policy):
    nudges = plan(review_date=review_date, owner_tz=tz, policy=policy, now=LONG_AGO)
    zone = ZoneInfo(tz)
    kinds = [nudge.kind for nudge in nudges]
    expected = KIND_ORDER if policy.days_before else KIND_ORDER[1:]
    assert kinds == [kind for kind in expected if kind in kinds]
    assert kinds[-3:] == KIND_ORDER[1:]
    for nudge in nudges:
        assert nudge.due_at.tzinfo is UTC
    for earlier, later in pairwise(nudges):
        assert earlier.due_at < later.due_at
    local = {nudge.kind: nudge.due_at.astimezone(zone) for nudge in nudges}
    assert local[NudgeKind.DUE].date() <= review_date
    assert local[NudgeKind.OVERDUE].date() > review_date
    if policy.skip_weekends:
        assert all(when.weekday() < 5 for when in local.values())
    else:
        assert local[NudgeKind.DUE].date() == review_date


@pytest.mark.parametrize(
    ("review_date", "today", "words"),
    [
        (date(2026, 12, 1), date(2026, 12, 1), "due today"),
        (date(2026, 12, 2), date(2026, 12, 1), "due tomorrow"),
        (date(2026, 12, 3), date(2026, 12, 1), "due Thursday 3 Dec"),
        (date(2027, 1, 4), date(2026, 12, 30), "due Mon 4 Jan 2027"),
        (date(2027, 12, 3), date(2026, 12, 1), "due Fri 3 Dec 2027"),
        (date(2026, 12, 1), date(2026, 12, 3), "overdue since Tuesday 1 Dec"),
        (date(2026, 12, 1), date(2026, 12, 2), "overdue since Tuesday 1 Dec"),
        (date(2025, 12, 30), date(2026, 1, 2), "overdue since Tue 30 Dec 2025"),
        (date(2026, 9, 7), date(2026, 1, 2), "due Monday 7 Sep"),
    ],
)
def test_format_due(review_date, today, words):
    assert format_due(review_date, today) == words


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        ("Pacific/Kiritimati", date(2026, 6, 16)),  # UTC+14
        ("America/New_York", date(2026, 6, 15)),
        ("", date(2026, 6, 16)),  # no zone: the fallback's
        ("Not/AZone", date(2026, 6, 16)),  # a zone this machine does not know: the fallback's
    ],
)
def test_the_local_date_is_the_owners_else_the_fallbacks(tz: str, day: date) -> None:
    now = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)
    assert local_date(now, tz, "Pacific/Auckland") == day
