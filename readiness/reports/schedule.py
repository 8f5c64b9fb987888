"""Pure schedule arithmetic (no database): which ISO week a moment falls in for a team, and when
that week's report is due. Weeks start on Monday in the team's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    weekday: int  # 0 = Monday
    hour: int
    timezone: str
    enabled: bool = True


def week_start_for(now: datetime, tz: str) -> date:
    """Monday of the ISO week that ``now`` (aware) falls in, in time zone ``tz``."""
    local = now.astimezone(ZoneInfo(tz))
    return local.date() - timedelta(days=local.weekday())


def due_at(schedule: Schedule, week_start: date) -> datetime:
    """The aware moment the report of the week starting ``week_start`` is due.

    A local hour skipped by a daylight-saving change resolves like zoneinfo does (fold=0): it is
    read with the offset from before the change, so the report goes out one hour later in wall time.
    """
    day = week_start + timedelta(days=schedule.weekday)
    return datetime.combine(day, time(schedule.hour), tzinfo=ZoneInfo(schedule.timezone))


def due_week(schedule: Schedule, now: datetime) -> date | None:
    """The week whose report is due at ``now``: this week once its weekday and hour have come."""
    if not schedule.enabled:
        return None
    week = week_start_for(now, schedule.timezone)
    return week if now >= due_at(schedule, week) else None
