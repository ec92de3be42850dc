"""The nudge plan for an action: which reminders go out, and when, in the owner's own time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import NudgeKind  # stored in nudges.kind; planned here

ONE_DAY = timedelta(days=1)
SATURDAY = 5
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class NudgePolicy:
    """When nudges go out, counted in days around the review date."""

    days_before: int = 2  # reminder this many days before the review date (0 = no reminder)
    overdue_days: int = 2  # overdue nudge this many days after, while still open
    escalate_after_days: int = 7  # escalation this many days after
    hour: int = 9  # working time, local to the owner
    minute: int = 0
    skip_weekends: bool = True

    def __post_init__(self) -> None:
        # The kinds must land on distinct days in order; a policy that breaks that is a
        # configuration mistake, better reported at start-up than as a missing nudge.
        if self.days_before < 0:
            raise ValueError("days_before must be 0 or more")
        if self.overdue_days < 1:
            raise ValueError("overdue_days must be 1 or more")
        if self.escalate_after_days <= self.overdue_days:
            raise ValueError("escalate_after_days must be more than overdue_days")
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError("hour and minute must be a time of day")


@dataclass(frozen=True, order=True)
class PlannedNudge:
    """One nudge to send: when (aware, UTC) and which kind."""

    due_at: datetime
    kind: NudgeKind


def plan(
    *,
    review_date: date,
    owner_tz: str,
    policy: NudgePolicy,
    now: datetime,
    fallback_tz: str = "UTC",
) -> list[PlannedNudge]:
    """The nudges still to send for an action, sorted by due_at."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    zone = _zone(owner_tz, fallback_tz)
    planned = [
        PlannedNudge(_at_local(day, policy.hour, policy.minute, zone), kind)
        for kind, day in _local_days(review_date, policy).items()
    ]
    # Past nudges are dropped, not sent late: an action created (or rescheduled) after its
    # reminder day would otherwise get a burst of stale nudges from the next sweep. The
    # owner sees the state in the action's own message; the next future nudge still goes.
    return sorted(nudge for nudge in planned if nudge.due_at >= now)


def format_due(review_date: date, today: date) -> str:
    """The review date in the owner's words: "due tomorrow", "overdue since Tuesday 1 Dec"."""
    days = (review_date - today).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if review_date.year == today.year:
        words = f"{DAY_NAMES[review_date.weekday()]} {review_date.day} {_month(review_date)}"
    else:
        day_name = DAY_NAMES[review_date.weekday()][:3]
        words = f"{day_name} {review_date.day} {_month(review_date)} {review_date.year}"
    return f"overdue since {words}" if days < 0 else f"due {words}"


def _month(day: date) -> str:
    return MONTH_NAMES[day.month - 1]


def local_date(now: datetime, tz: str, fallback_tz: str) -> date:
    """The date at `now` in zone `tz` (an owner's), or in `fallback_tz` if `tz` is unusable."""
    return now.astimezone(_zone(tz, fallback_tz)).date()


def _zone(owner_tz: str, fallback_tz: str) -> ZoneInfo:
    # Slack's users.info tz is usually a valid IANA key, but may be empty or unknown to the
    # local tz database; the fallback is configuration, so an invalid one should fail loudly.
    if owner_tz:
        try:
            return ZoneInfo(owner_tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return ZoneInfo(fallback_tz)


def _local_days(review_date: date, policy: NudgePolicy) -> dict[NudgeKind, date]:
    """The owner's local date for each kind, after moving nudges off weekends."""
    skip = policy.skip_weekends
    due = _working_day_on_or_before(review_date) if skip else review_date
    overdue = review_date + timedelta(days=policy.overdue_days)
    escalation = review_date + timedelta(days=policy.escalate_after_days)
    if skip:
        # Moving these back to Friday could put them on or before the due day, so they move
        # forward; the escalation also stays after the overdue nudge when both hit a weekend.
        overdue = _working_day_on_or_after(overdue)
        escalation = _working_day_on_or_after(max(escalation, overdue + ONE_DAY))
    days = {NudgeKind.DUE: due, NudgeKind.OVERDUE: overdue, NudgeKind.ESCALATION: escalation}
    if policy.days_before:
        reminder = review_date - timedelta(days=policy.days_before)
        if skip:
            reminder = _working_day_on_or_before(reminder)
        # A reminder on the due day says nothing the due nudge does not.
        if reminder < due:
            days[NudgeKind.REMINDER] = reminder
    return days


def _working_day_on_or_before(day: date) -> date:
    while day.weekday() >= SATURDAY:
        day -= ONE_DAY
    return day


def _working_day_on_or_after(day: date) -> date:
    while day.weekday() >= SATURDAY:
        day += ONE_DAY
    return day


def _at_local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in zone; a time in a DST gap moves to the gap's end."""
    # fold=0 picks the first occurrence of a wall time that happens twice (fall-back).
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # The wall time never happens (spring-forward). Read with the offsets before (fold=0)
    # and after (fold=1) the transition, it gives two instants either side of it.
    other = wall.replace(fold=1).astimezone(UTC)
    return _transition_between(min(instant, other), max(instant, other), zone)


def _transition_between(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (before, after] whose offset differs from before's."""
    # Transitions fall on whole seconds; halving a gap of a few hours takes ~15 steps.
    offset = before.astimezone(zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)
