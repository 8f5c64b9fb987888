"""Pure schedule arithmetic (no database): which ISO week a moment falls in for a team, when that
week's report is due, and which days it reports on. Weeks start on Monday in the team's time zone.

The report sent in week W reports on the seven calendar days before W (Monday to Sunday, local
midnight to local midnight: 167, 168 or 169 hours across a daylight-saving change) and is labelled
by them ("30 Nov - 6 Dec 2026"). A team's first report covers the days since it was created and goes
out at the first schedule slot of a week that began after its creation, never for a week it did not
exist in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Schedule:
    weekday: int  # 0 = Monday
    hour: int
    timezone: str
    enabled: bool = True


@dataclass(frozen=True)
class ReportedWeek:
    """The days a report covers, in the team's time zone."""

    first_day: date
    last_day: date  # inclusive
    since: datetime  # aware: local midnight of first_day (or the team's creation)
    until: datetime  # aware: local midnight after last_day
    timezone: str
    # The team's first report: it starts when the team was created, not on a Monday.
    partial: bool = False

    @property
    def label(self) -> str:
        return week_label(self.first_day, self.last_day)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def week_start_for(now: datetime, tz: str) -> date:
    """Monday of the ISO week that ``now`` (aware) falls in, in time zone ``tz``."""
    local = now.astimezone(ZoneInfo(tz))
    return local.date() - timedelta(days=local.weekday())


def local_midnight(day: date, tz: str) -> datetime:
    """The moment ``day`` starts in ``tz``, in UTC: Python subtracts two datetimes of the same
    zone by their wall clocks (a week across a DST change would look 168 hours long)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def due_at(schedule: Schedule, week_start: date) -> datetime:
    """The aware moment the report of the week starting ``week_start`` is due.

    A local hour skipped by a daylight-saving change resolves like zoneinfo does (fold=0): it is
    read with the offset from before the change, so the report goes out one hour later in wall time.
    """
    day = week_start + timedelta(days=schedule.weekday)
    return datetime.combine(day, time(schedule.hour), tzinfo=ZoneInfo(schedule.timezone))


def first_week(created_at: datetime, tz: str) -> date:
    """The first week whose report a team created at ``created_at`` gets: the week after the one
    it was created in, so its first report has at least a day to cover and its slot comes after it."""
    return week_start_for(created_at, tz) + WEEK


def due_week(schedule: Schedule, now: datetime, *, created_at: datetime | None = None) -> date | None:
    """The week whose report is due at ``now``: this week once its weekday and hour have come, and
    not before the team's first week."""
    if not schedule.enabled:
        return None
    week = week_start_for(now, schedule.timezone)
    if created_at is not None and week < first_week(created_at, schedule.timezone):
        return None
    return week if now >= due_at(schedule, week) else None


def reported_week(week_start: date, tz: str, *, created_at: datetime | None = None) -> ReportedWeek:
    """The seven days before ``week_start`` (the week the report is sent in), cut to the team's
    creation for its first report."""
    first_day, last_day = week_start - WEEK, week_start - timedelta(days=1)
    since, until = local_midnight(first_day, tz), local_midnight(week_start, tz)
    partial = False
    if created_at is not None and created_at > since:
        since, partial = created_at, True
        first_day = created_at.astimezone(ZoneInfo(tz)).date()
    return ReportedWeek(first_day, last_day, since, until, tz, partial)


def week_label(first: date, last: date) -> str:
    """ "30 Nov - 6 Dec 2026", "28 Dec 2026 - 3 Jan 2027", "6 Dec 2026" for a single day."""
    if first == last:
        return f"{last.day} {last:%b %Y}"
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} - {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b} - {last.day} {last:%b %Y}"
