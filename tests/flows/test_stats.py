"""The arithmetic of `/aar stats`: the days argument, shares, the median, owners' dates."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from flows.stats import DEFAULT_DAYS, Share, figures, median, parse_days
from storage.stats import ActionFact, ReviewCounts


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("", DEFAULT_DAYS),
        ("  ", DEFAULT_DAYS),
        ("30", 30),
        ("30d", 30),
        ("30 days", 30),
        ("1 day", 1),
        ("3650", 3650),
        ("0", None),
        ("3651", None),
        ("-5", None),
        ("1.5", None),
        ("thirty", None),
        ("٣٠", None),  # digits, but not ones a person means here
        ("30 40", None),
    ],
)
def test_parse_days(text: str, days: int | None) -> None:
    assert parse_days(text) == days


def test_median_and_share() -> None:
    assert median([]) is None
    assert median([3.0]) == 3.0
    assert median([8.0, 3.0, 5.0]) == 5.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert Share(0, 0).ratio is None
    assert Share(1, 4).ratio == 0.25


def _fact(status: str, due: date, done: datetime | None = None, tz: str = "UTC") -> ActionFact:
    return ActionFact(
        status=status,
        review_date=due,
        owner_tz=tz,
        specificity=2,
        completed_at=done,
        review_created_at=datetime(2026, 6, 1, tzinfo=UTC),
    )


def test_dates_are_read_in_each_owners_zone() -> None:
    now = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)  # already 16 June in Auckland
    counts = ReviewCounts(
        reviews=1,
        by_template=Counter(miss=1),
        actions=[
            _fact("open", date(2026, 6, 15), tz="Pacific/Auckland"),  # overdue there
            _fact("open", date(2026, 6, 15)),  # due today in UTC
            _fact("open", date(2026, 6, 15), tz="Not/AZone"),  # unknown zone: UTC
            # Done at 23:30 UTC on its day: 16 June in Auckland, late; on time in UTC.
            _fact("done", date(2026, 6, 10), datetime(2026, 6, 10, 23, 30, tzinfo=UTC), "UTC"),
            _fact(
                "done",
                date(2026, 6, 10),
                datetime(2026, 6, 10, 23, 30, tzinfo=UTC),
                "Pacific/Auckland",
            ),
            _fact("dropped", date(2026, 6, 1), datetime(2026, 6, 2, tzinfo=UTC)),
        ],
    )
    result = figures(counts, now=now)
    assert result.overdue == 1
    assert (result.done_on_time.part, result.done_on_time.whole) == (1, 3)
    assert result.median_days_to_done == pytest.approx(9 + 23.5 / 24)
    assert result.mean_specificity == 2.0


def test_an_unknown_owner_zone_is_read_in_the_fallback() -> None:
    now = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)  # already 16 June in Auckland
    counts = ReviewCounts(
        reviews=1,
        by_template=Counter(miss=1),
        actions=[
            _fact("open", date(2026, 6, 15), tz="Not/AZone"),
            _fact("done", date(2026, 6, 10), datetime(2026, 6, 10, 23, 30, tzinfo=UTC), "Not/Z"),
        ],
    )
    assert figures(counts, now=now).overdue == 0
    late = figures(counts, now=now, fallback_tz="Pacific/Auckland")
    assert late.overdue == 1
    assert (late.done_on_time.part, late.done_on_time.whole) == (0, 2)
