"""When a report is due and which days it covers: each team's weekday, hour and time zone (frozen
with time-machine), its first report, and the week's boundaries across daylight-saving changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from readiness.reports import selectors, services
from readiness.reports.models import ReportSchedule, WeeklyReport
from readiness.reports.schedule import Schedule, due_at, due_week, reported_week, week_label, week_start_for
from readiness.teams.models import Team
from tests.factories import TeamFactory

MONDAY = date(2026, 11, 23)  # ISO week 48; Paris is UTC+1 and Los Angeles UTC-8 in November


LONG_AGO = datetime(2026, 1, 5, tzinfo=UTC)


def old_team(tz="UTC", **kwargs):
    """A team made long before the weeks these tests travel to."""
    made = TeamFactory(**kwargs)
    Team.objects.filter(pk=made.pk).update(timezone=tz, created_at=LONG_AGO)
    made.refresh_from_db()
    return made


@pytest.fixture
def teams(db):
    paris = old_team("Europe/Paris", name="Paris")
    los_angeles = old_team("America/Los_Angeles", name="LA")
    ReportSchedule.objects.create(team=paris, weekday=0, hour=9)
    ReportSchedule.objects.create(team=los_angeles, weekday=0, hour=9)
    # Both got last week's report (a week without a row would be due at once: a missed week is sent late).
    for team in (paris, los_angeles):
        WeeklyReport.objects.create(team=team, week_start=date(2026, 11, 16), status="sent")
    return paris, los_angeles


def due_at_frozen(moment: datetime) -> list[tuple[int, date]]:
    with time_machine.travel(moment, tick=False):
        return selectors.reports_due(now=timezone.now())


@pytest.mark.django_db
def test_each_team_is_due_at_nine_on_monday_in_its_own_time_zone(teams):
    paris, los_angeles = teams
    assert due_at_frozen(datetime(2026, 11, 23, 7, 59, tzinfo=UTC)) == []  # 08:59 Paris, Sunday in LA
    assert due_at_frozen(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) == [(paris.pk, MONDAY)]  # 09:00 Paris
    assert due_at_frozen(datetime(2026, 11, 23, 16, 59, tzinfo=UTC)) == [(paris.pk, MONDAY)]  # 08:59 LA
    assert sorted(due_at_frozen(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))) == [  # 09:00 in LA
        (paris.pk, MONDAY),
        (los_angeles.pk, MONDAY),
    ]


@pytest.mark.django_db
def test_a_claimed_week_is_no_longer_due_and_the_next_week_is(teams, django_capture_on_commit_callbacks):
    paris, los_angeles = teams
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            assert services.reports_enqueue_due()["enqueued"] == 1
        assert len(callbacks) == 1
    assert due_at_frozen(datetime(2026, 11, 23, 17, 0, tzinfo=UTC)) == [(los_angeles.pk, MONDAY)]
    # Late on Sunday in Los Angeles it is already Monday in UTC: still the LA team's week 48.
    assert due_at_frozen(datetime(2026, 11, 30, 7, 30, tzinfo=UTC)) == [(los_angeles.pk, MONDAY)]
    # The next Monday 09:00 in Paris opens week 49 for Paris.
    assert (paris.pk, date(2026, 11, 30)) in due_at_frozen(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_defaults_disabled_teams_and_other_weekdays(db, settings):
    default_team = old_team()  # no schedule row: Monday 09:00 in its time zone (settings.TIME_ZONE: UTC)
    assert TeamFactory().timezone == settings.TIME_ZONE == "UTC"
    off = old_team()
    ReportSchedule.objects.create(team=off, enabled=False)
    friday = old_team("Asia/Tokyo")
    ReportSchedule.objects.create(team=friday, weekday=4, hour=17)

    assert due_at_frozen(datetime(2026, 11, 23, 8, 59, tzinfo=UTC)) == []
    assert due_at_frozen(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) == [(default_team.pk, MONDAY)]
    friday_due = due_at_frozen(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))  # Friday 17:00 in Tokyo
    assert (friday.pk, MONDAY) in friday_due and off.pk not in [t for t, _ in friday_due]


def test_week_arithmetic_across_a_daylight_saving_change():
    # Paris leaves summer time on Sunday 25 October 2026: Monday 26 09:00 is 08:00 UTC, not 07:00.
    paris = Schedule(0, 9, "Europe/Paris")
    assert due_at(paris, date(2026, 10, 26)).astimezone(UTC) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert due_at(paris, date(2026, 10, 19)).astimezone(UTC) == datetime(2026, 10, 19, 7, 0, tzinfo=UTC)
    assert week_start_for(datetime(2026, 10, 25, 23, 30, tzinfo=UTC), "Europe/Paris") == date(2026, 10, 26)
    assert due_week(paris, datetime(2026, 10, 26, 7, 59, tzinfo=UTC)) is None
    assert due_week(Schedule(0, 9, "Europe/Paris", enabled=False), datetime(2026, 10, 27, tzinfo=UTC)) is None


def test_the_reported_week_is_seven_calendar_days_whatever_the_clock_does():
    # Autumn, Paris: 19 Oct 00:00 CEST (22:00 UTC the day before) to 26 Oct 00:00 CET: 169 hours.
    week = reported_week(date(2026, 10, 26), "Europe/Paris")
    assert (week.first_day, week.last_day, week.days) == (date(2026, 10, 19), date(2026, 10, 25), 7)
    assert week.since.astimezone(UTC) == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert week.until.astimezone(UTC) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert week.until - week.since == timedelta(hours=169)
    assert week.label == "19 Oct - 25 Oct 2026"
    # Spring, New York (8 March 2026): 167 hours, still Monday to Sunday.
    week = reported_week(date(2026, 3, 9), "America/New_York")
    assert week.until - week.since == timedelta(hours=167) and week.label == "2 Mar - 8 Mar 2026"
    # Labelled by the week reported, never the coming one; a week across the new year names both.
    assert reported_week(date(2026, 12, 7), "UTC").label == "30 Nov - 6 Dec 2026"
    assert week_label(date(2026, 12, 28), date(2027, 1, 3)) == "28 Dec 2026 - 3 Jan 2027"
    # On a Sunday evening the preview still reports Monday to Sunday of the week before.
    sunday = datetime(2026, 12, 13, 20, 0, tzinfo=UTC)
    assert reported_week(week_start_for(sunday, "UTC"), "UTC").label == "30 Nov - 6 Dec 2026"


def test_a_first_report_starts_when_the_team_was_created():
    created = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    week = reported_week(date(2026, 12, 7), "UTC", created_at=created)
    assert week.partial and week.since == created and week.label == "2 Dec - 6 Dec 2026"
    schedule = Schedule(0, 9, "UTC")
    assert due_week(schedule, datetime(2026, 12, 2, 11, 0, tzinfo=UTC), created_at=created) is None
    assert due_week(schedule, datetime(2026, 12, 7, 9, 0, tzinfo=UTC), created_at=created) == date(
        2026, 12, 7
    )
    # Created on a Monday after its hour, or minutes before it: the first report is the next week's.
    for made in (datetime(2026, 12, 7, 10, 0, tzinfo=UTC), datetime(2026, 12, 7, 8, 50, tzinfo=UTC)):
        assert due_week(schedule, datetime(2026, 12, 7, 11, 0, tzinfo=UTC), created_at=made) is None
        assert due_week(schedule, datetime(2026, 12, 14, 9, 0, tzinfo=UTC), created_at=made) == date(
            2026, 12, 14
        )


@pytest.mark.django_db
def test_a_team_created_minutes_ago_gets_no_late_report(db):
    fresh = TeamFactory()  # created now: this week's slot may have passed, but it did not exist then
    assert selectors.reports_due(now=timezone.now() + timedelta(minutes=5)) == []
    assert selectors.reports_due(now=timezone.now() + timedelta(days=8)) == [
        (fresh.pk, week_start_for(timezone.now(), "UTC") + timedelta(days=7))
    ]


@pytest.mark.django_db
def test_a_time_zone_must_be_a_real_one(db):
    made = TeamFactory(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError):
        made.full_clean()
    made.timezone = "America/Los_Angeles"
    made.full_clean()
    with pytest.raises(ValidationError):
        services.schedule_update(
            team=made, weekday=0, hour=9, timezone_name="Mars/Base", enabled=True, external_addresses=[]
        )
