"""Hourly rollups, 7-day uptime from rollups plus recent raw records, and pruning by age."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from readiness.endpoints import selectors, services
from readiness.endpoints.models import HourlyRollup, Incident, ProbeRecord
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 14, 20, tzinfo=UTC)


def _record(endpoint, at, ok=True, latency_ms=10.0, status_code=200):
    return ProbeRecord.objects.create(
        endpoint=endpoint, at=at, ok=ok, latency_ms=latency_ms, status_code=status_code
    )


def test_percentile_interpolates_between_ranks():
    assert services.percentile([], 0.5) is None
    assert services.percentile([7.0], 0.95) == 7.0
    assert services.percentile([10.0, 20.0, 30.0, 40.0], 0.5) == 25.0
    assert services.percentile([float(v) for v in range(1, 101)], 0.95) == pytest.approx(95.05)


def test_rollup_of_known_latencies():
    endpoint = EndpointFactory()
    other = EndpointFactory()
    hour = datetime(2026, 11, 23, 10, tzinfo=UTC)
    for minute, latency in enumerate(range(10, 101, 10)):
        _record(endpoint, hour + timedelta(minutes=minute), latency_ms=float(latency))
    _record(endpoint, hour + timedelta(minutes=30), ok=False, latency_ms=500.0, status_code=500)
    _record(endpoint, hour + timedelta(minutes=31), ok=False, latency_ms=None, status_code=None)  # timeout
    _record(endpoint, hour - timedelta(seconds=1), latency_ms=9999.0)  # the hour before
    _record(endpoint, hour + timedelta(hours=1), latency_ms=9999.0)  # the hour after
    _record(other, hour + timedelta(minutes=5), latency_ms=42.0)

    assert services.rollup_hour(hour=hour + timedelta(minutes=17)) == 2  # any moment of the hour
    rollup = HourlyRollup.objects.get(endpoint=endpoint)
    # 11 latencies: 10..100 and 500. p50 = the 6th (60); p95 sits halfway between 100 and 500.
    assert (rollup.hour, rollup.count, rollup.failures) == (hour, 12, 2)
    assert (rollup.p50_ms, rollup.p95_ms, rollup.max_ms) == (60.0, 300.0, 500.0)
    assert HourlyRollup.objects.get(endpoint=other).p95_ms == 42.0

    # Idempotent, and a record stored late is included the next time.
    _record(endpoint, hour + timedelta(minutes=59), ok=False, latency_ms=None, status_code=None)
    services.rollup_hour(hour=hour)
    rollup = HourlyRollup.objects.get(endpoint=endpoint)
    assert (HourlyRollup.objects.count(), rollup.count, rollup.failures) == (2, 13, 3)


@time_machine.travel(NOW, tick=False)
def test_rollups_refresh_rolls_the_last_complete_hours_not_the_current_one():
    endpoint = EndpointFactory()
    for hours_ago in range(0, 5):
        _record(endpoint, NOW - timedelta(hours=hours_ago))
    services.rollups_refresh()
    hours = sorted(HourlyRollup.objects.values_list("hour", flat=True))
    current = NOW.replace(minute=0)
    assert hours == [current - timedelta(hours=n) for n in (3, 2, 1)]


@time_machine.travel(NOW, tick=False)
def test_uptime_7d_adds_rollups_to_the_raw_records_of_the_last_two_hours():
    endpoint = EndpointFactory()
    current = NOW.replace(minute=0)
    previous = current - timedelta(hours=1)
    HourlyRollup.objects.create(endpoint=endpoint, hour=current - timedelta(days=3), count=100, failures=10)
    HourlyRollup.objects.create(endpoint=endpoint, hour=current - timedelta(days=8), count=100, failures=100)
    # The previous hour is already rolled up: its raw records count, its rollup does not.
    HourlyRollup.objects.create(endpoint=endpoint, hour=previous, count=10, failures=5)
    for n in range(10):
        _record(endpoint, previous + timedelta(minutes=n), ok=n % 2 == 0)
        _record(endpoint, current + timedelta(minutes=1, seconds=n))

    stats = selectors.probe_stats([endpoint.pk])[endpoint.pk]
    assert stats["uptime_7d"] == pytest.approx((90 + 5 + 10) / (100 + 10 + 10))
    assert stats["count_24h"] == 20 and stats["failures_24h"] == 5
    assert stats["spark"][-1] == 10.0 and stats["spark"][0] is None and len(stats["spark"]) == 24


def test_no_probes_means_no_figures():
    endpoint = EndpointFactory()
    stats = selectors.probe_stats([endpoint.pk])[endpoint.pk]
    assert stats["uptime_7d"] is None and stats["p95_24h_ms"] is None
    assert selectors.sparkline_path(stats["spark"]) == ""


def test_sparkline_path_leaves_gaps():
    path = selectors.sparkline_path([10.0, 20.0, None, 20.0], width=30, height=12)
    assert path.startswith("M0.0 ") and path.count("M") == 2 and path.count("L") == 1


def test_cleanup_prunes_by_age():
    endpoint = EndpointFactory()
    with time_machine.travel(NOW, tick=False):
        old_raw = _record(endpoint, NOW - timedelta(hours=49))
        kept_raw = _record(endpoint, NOW - timedelta(hours=47))
        old_rollup = HourlyRollup.objects.create(
            endpoint=endpoint, hour=NOW.replace(minute=0) - timedelta(days=91), count=1, failures=0
        )
        kept_rollup = HourlyRollup.objects.create(
            endpoint=endpoint, hour=NOW.replace(minute=0) - timedelta(days=89), count=1, failures=0
        )
        old_incident = Incident.objects.create(
            endpoint=endpoint, started_at=NOW - timedelta(days=95), ended_at=NOW - timedelta(days=91)
        )
        ongoing = Incident.objects.create(endpoint=endpoint, started_at=NOW - timedelta(days=100))

        counts = services.probes_cleanup()

    assert counts == {"raw": 1, "rollups": 1, "incidents": 1}
    assert not ProbeRecord.objects.filter(pk=old_raw.pk).exists()
    assert ProbeRecord.objects.filter(pk=kept_raw.pk).exists()
    assert not HourlyRollup.objects.filter(pk=old_rollup.pk).exists()
    assert HourlyRollup.objects.filter(pk=kept_rollup.pk).exists()
    assert not Incident.objects.filter(pk=old_incident.pk).exists()
    assert Incident.objects.filter(pk=ongoing.pk).exists()

    # Two days later the record kept above is past 48 hours too.
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        services.probes_cleanup()
    assert not ProbeRecord.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_postgresql_and_python_figures_agree():
    import random

    rng = random.Random(5)
    endpoints = [EndpointFactory(), EndpointFactory(), EndpointFactory()]
    records = []
    for endpoint in endpoints[:2]:
        for _ in range(400):
            at = NOW - timedelta(minutes=rng.uniform(0, 26 * 60))  # some older than 24 h
            ok = rng.random() > 0.1
            latency = None if rng.random() < 0.05 else round(rng.uniform(1, 300), 3)
            records.append(ProbeRecord(endpoint=endpoint, at=at, ok=ok, latency_ms=latency, status_code=200))
    ProbeRecord.objects.bulk_create(records)
    HourlyRollup.objects.create(
        endpoint=endpoints[0], hour=NOW.replace(minute=0) - timedelta(days=2), count=50, failures=3
    )
    ids = [e.pk for e in endpoints]

    in_sql = selectors.probe_stats(ids)
    in_python = selectors.probe_stats(ids, in_python=True)

    for pk in ids:
        sql, py = dict(in_sql[pk]), dict(in_python[pk])
        assert sql.pop("spark") == pytest.approx(py.pop("spark"))  # None stays None
        assert sql == pytest.approx(py)
    assert in_sql[endpoints[0].pk]["count_24h"] > 300 and in_sql[endpoints[2].pk]["uptime_7d"] is None
