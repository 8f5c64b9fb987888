"""When a report is due: each team's weekday, hour and time zone, frozen with time-machine."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from readiness.reports import selectors, services
from readiness.reports.models import ReportSchedule, WeeklyReport
from readiness.reports.schedule import Schedule, due_at, due_week, week_start_for
from tests.factories import TeamFactory

MONDAY = date(2026, 11, 23)  # ISO week 48; Paris is UTC+1 and Los Angeles UTC-8 in November


@pytest.fixture
def teams(db):
    paris = TeamFactory(name="Paris")
    los_angeles = TeamFactory(name="LA")
    ReportSchedule.objects.create(team=paris, weekday=0, hour=9, timezone="Europe/Paris")
    ReportSchedule.objects.create(team=los_angeles, weekday=0, hour=9, timezone="America/Los_Angeles")
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
    default_team = TeamFactory()  # no schedule row: Monday 09:00 in settings.TIME_ZONE (UTC)
    off = TeamFactory()
    ReportSchedule.objects.create(team=off, enabled=False)
    friday = TeamFactory()
    ReportSchedule.objects.create(team=friday, weekday=4, hour=17, timezone="Asia/Tokyo")

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


@pytest.mark.django_db
def test_a_time_zone_must_be_a_real_one(db):
    schedule = ReportSchedule(team=TeamFactory(), timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError):
        schedule.full_clean()
    schedule.timezone = "America/Los_Angeles"
    schedule.full_clean()
