"""Read logic for health endpoints: states, uptime, latency, incidents, and the engine's HealthFacts.

Every function takes ids or objects already scoped to a team by the caller (views look the
repository up inside the user's team first) and runs a fixed number of queries, whatever the
number of endpoints.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncHour
from django.shortcuts import get_object_or_404
from django.utils import timezone

from readiness.endpoints.models import Endpoint, HourlyRollup, Incident, Kind, ProbeRecord, State
from readiness.endpoints.services import percentile
from readiness.engine import HealthFacts

# Read, not changed: the engine's own definition of "reports its dependencies", so the page's
# cross-check and the health.readiness_reports_dependencies check cannot disagree.
from readiness.engine.checks.health import reports_dependencies

SPARK_HOURS = 24
SPARK_WIDTH, SPARK_HEIGHT = 120, 24


def endpoint_list_for_repository(*, repository):
    return Endpoint.objects.filter(repository=repository).order_by("kind", "name")


def endpoint_list_for_team(*, team) -> list[Endpoint]:
    """Every endpoint of the team's active repositories, failing first: down, not probed yet, up, then
    the disabled ones; within a state by repository and name (one query)."""
    rank = {State.DOWN: 0, State.UNKNOWN: 1, State.UP: 2}
    endpoints = Endpoint.objects.filter(
        repository__team=team, repository__archived_at__isnull=True
    ).select_related("repository")
    return sorted(
        endpoints,
        key=lambda e: (not e.enabled, rank.get(e.state, 1), e.repository.name.lower(), e.name.lower()),
    )


def endpoint_get(*, repository, endpoint_id: int) -> Endpoint:
    return get_object_or_404(Endpoint, repository=repository, pk=endpoint_id)


def endpoint_states_for_repositories(repository_ids) -> dict[int, str]:
    """``{repository_id: "up" | "down" | "none"}`` in one query, for dashboards.

    "down" when any enabled endpoint of the repository is down, "up" when at least one is up and
    none is down, "none" without enabled endpoints or before their first probe.
    """
    ids = list(repository_ids)
    states = dict.fromkeys(ids, "none")
    rows = (
        Endpoint.objects.filter(repository_id__in=ids, enabled=True)
        .order_by()
        .values("repository_id")
        .annotate(
            down=Count("pk", filter=Q(state=State.DOWN)),
            up=Count("pk", filter=Q(state=State.UP)),
        )
    )
    for row in rows:
        if row["down"]:
            states[row["repository_id"]] = "down"
        elif row["up"]:
            states[row["repository_id"]] = "up"
    return states


def endpoint_counts_for_repositories(repository_ids) -> dict[int, dict]:
    """Per repository: how many enabled endpoints are up, down and not probed yet (one query).
    ``repository_ids``: ids, or a queryset of them (a subquery: a team's thousands stay in SQL)."""
    states: dict[int, dict] = {}
    if not isinstance(repository_ids, QuerySet):
        repository_ids = list(repository_ids)
    rows = (
        Endpoint.objects.filter(repository_id__in=repository_ids, enabled=True)
        .order_by()
        .values_list("repository_id", "state")
        .annotate(n=Count("id"))
    )
    for repository_id, state, n in rows:
        entry = states.setdefault(repository_id, {"up": 0, "down": 0, "unknown": 0, "total": 0})
        entry[state if state in entry else "unknown"] += n
        entry["total"] += n
    return states


def latest_records(endpoint_ids) -> dict[int, ProbeRecord]:
    """The latest probe record of each endpoint (two queries)."""
    newest = ProbeRecord.objects.filter(endpoint=OuterRef("pk")).order_by("-at", "-pk").values("pk")[:1]
    record_ids = (
        Endpoint.objects.filter(pk__in=list(endpoint_ids))
        .annotate(latest=Subquery(newest))
        .values_list("latest", flat=True)
    )
    records = ProbeRecord.objects.filter(pk__in=[pk for pk in record_ids if pk is not None])
    return {record.endpoint_id: record for record in records}


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: linear interpolation, as ``services.percentile``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _empty_figures() -> dict:
    return {
        "count_24h": 0,
        "failures_24h": 0,
        "p95": None,
        "total": 0,
        "ok": 0,
        "spark": [None] * SPARK_HOURS,
    }


def _raw_figures_sql(ids, *, day_ago, raw_from, first_spark_hour) -> dict[int, dict]:
    """The raw-record figures aggregated by PostgreSQL: two queries, no rows shipped."""
    figures = {pk: _empty_figures() for pk in ids}
    day = Q(at__gte=day_ago)
    rows = (
        ProbeRecord.objects.filter(endpoint_id__in=ids, at__gte=min(day_ago, raw_from))
        .order_by()
        .values("endpoint_id")
        .annotate(
            count_24h=Count("pk", filter=day),
            failures_24h=Count("pk", filter=day & Q(ok=False)),
            p95=PercentileCont("latency_ms", 0.95, filter=day),
            total=Count("pk", filter=Q(at__gte=raw_from)),
            ok=Count("pk", filter=Q(at__gte=raw_from, ok=True)),
        )
    )
    for row in rows:
        figures[row.pop("endpoint_id")].update(row)
    hourly = (
        ProbeRecord.objects.filter(endpoint_id__in=ids, at__gte=first_spark_hour, latency_ms__isnull=False)
        .order_by()
        .annotate(hour=TruncHour("at"))
        .values("endpoint_id", "hour")
        .annotate(p50=PercentileCont("latency_ms", 0.5))
    )
    for row in hourly:
        index = int((row["hour"] - first_spark_hour).total_seconds() // 3600)
        if 0 <= index < SPARK_HOURS:
            figures[row["endpoint_id"]]["spark"][index] = row["p50"]
    return figures


def _raw_figures_python(ids, *, day_ago, raw_from, first_spark_hour) -> dict[int, dict]:
    """The same figures computed here, for SQLite (``make run``), which has no percentile_cont."""
    figures = {pk: _empty_figures() for pk in ids}
    latencies: dict[int, list[float]] = defaultdict(list)
    by_hour: dict[int, dict[int, list[float]]] = {pk: defaultdict(list) for pk in ids}
    rows = (
        ProbeRecord.objects.filter(endpoint_id__in=ids, at__gte=min(day_ago, raw_from))
        .order_by()
        .values_list("endpoint_id", "at", "ok", "latency_ms")
    )
    for endpoint_id, at, ok, latency_ms in rows.iterator(chunk_size=5000):
        entry = figures[endpoint_id]
        if at >= day_ago:
            entry["count_24h"] += 1
            entry["failures_24h"] += 0 if ok else 1
            if latency_ms is not None:
                latencies[endpoint_id].append(latency_ms)
        if latency_ms is not None and at >= first_spark_hour:
            by_hour[endpoint_id][int((at - first_spark_hour).total_seconds() // 3600)].append(latency_ms)
        if at >= raw_from:
            entry["total"] += 1
            entry["ok"] += 1 if ok else 0
    for pk, entry in figures.items():
        entry["p95"] = percentile(sorted(latencies[pk]), 0.95)
        entry["spark"] = [percentile(sorted(by_hour[pk].get(i, [])), 0.5) for i in range(SPARK_HOURS)]
    return figures


def probe_stats(endpoint_ids, *, now: datetime | None = None, in_python: bool = False) -> dict[int, dict]:
    """Per endpoint: ``uptime_7d`` (0..1 or None), ``p95_24h_ms``, ``count_24h``, ``failures_24h``,
    ``spark`` (24 hourly median latencies, oldest first, None where no answer). Three queries.

    Uptime adds the rollups of complete hours to the raw records of the last two hours (the
    previous hour may not be rolled up yet), so the figure never has a gap nor counts twice.
    On PostgreSQL the raw figures are aggregated in the database; elsewhere (or ``in_python``)
    the rows are read and computed here, with the same interpolation.
    """
    now = now or timezone.now()
    ids = list(endpoint_ids)
    bounds = {
        "day_ago": now - timedelta(hours=SPARK_HOURS),
        "raw_from": _hour(now) - timedelta(hours=1),
        "first_spark_hour": _hour(now) - timedelta(hours=SPARK_HOURS - 1),
    }
    in_sql = connection.vendor == "postgresql" and not in_python
    figures = (_raw_figures_sql if in_sql else _raw_figures_python)(ids, **bounds)
    rolled = (
        HourlyRollup.objects.filter(
            endpoint_id__in=ids, hour__gte=now - timedelta(days=7), hour__lt=bounds["raw_from"]
        )
        .order_by()
        .values("endpoint_id")
        .annotate(count=Sum("count"), failures=Sum("failures"))
    )
    for row in rolled:
        entry = figures[row["endpoint_id"]]
        entry["total"] += row["count"]
        entry["ok"] += row["count"] - row["failures"]
    return {
        pk: {
            "uptime_7d": entry["ok"] / entry["total"] if entry["total"] else None,
            "p95_24h_ms": entry["p95"],
            "count_24h": entry["count_24h"],
            "failures_24h": entry["failures_24h"],
            "spark": entry["spark"],
        }
        for pk, entry in figures.items()
    }


def uptime_between(endpoint_ids, *, since: datetime, until: datetime, now: datetime | None = None) -> dict:
    """Per endpoint, the probes made in [since, until) and how many succeeded: ``{"probes", "ok"}``
    (two queries). As ``probe_stats``: complete hours before the last two come from the hourly
    rollups (raw records are pruned after two days), the rest from raw records, so nothing is
    counted twice. An hour a boundary falls inside counts whole (rollups are per UTC hour)."""
    now = now or timezone.now()
    ids = list(endpoint_ids)
    figures = {pk: {"probes": 0, "ok": 0} for pk in ids}
    raw_from = max(since, _hour(now) - timedelta(hours=1))
    rolled = (
        HourlyRollup.objects.filter(
            endpoint_id__in=ids, hour__gte=_hour(since), hour__lt=min(until, _hour(now) - timedelta(hours=1))
        )
        .order_by()
        .values("endpoint_id")
        .annotate(count=Sum("count"), failures=Sum("failures"))
    )
    for row in rolled:
        figures[row["endpoint_id"]]["probes"] += row["count"]
        figures[row["endpoint_id"]]["ok"] += row["count"] - row["failures"]
    raw = (
        ProbeRecord.objects.filter(endpoint_id__in=ids, at__gte=raw_from, at__lt=until)
        .order_by()
        .values("endpoint_id")
        .annotate(count=Count("pk"), ok=Count("pk", filter=Q(ok=True)))
    )
    for row in raw:
        figures[row["endpoint_id"]]["probes"] += row["count"]
        figures[row["endpoint_id"]]["ok"] += row["ok"]
    return figures


def sparkline_path(
    values: list[float | None], *, width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT
) -> str:
    """SVG path data for a line through ``values`` (None leaves a gap); "" without any value."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    top = max(present) or 1.0
    step = width / max(len(values) - 1, 1)
    parts, pen_down = [], False
    for index, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        x = index * step
        y = height - 1 - (value / top) * (height - 2)
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
        pen_down = True
    return " ".join(parts)


def incidents_for_endpoints(endpoint_ids, *, limit_per_endpoint: int = 5) -> dict[int, list[Incident]]:
    """The most recent incidents of each endpoint, newest first (one query)."""
    ids = list(endpoint_ids)
    result: dict[int, list[Incident]] = {pk: [] for pk in ids}
    recent = Incident.objects.filter(endpoint_id__in=ids, started_at__gte=timezone.now() - timedelta(days=90))
    for incident in recent.order_by("-started_at"):
        if len(result[incident.endpoint_id]) < limit_per_endpoint:
            result[incident.endpoint_id].append(incident)
    return result


def incidents_for_team(*, team, since: datetime, until: datetime | None = None):
    """Incidents of a team's endpoints that overlap [since, until): for the weekly report."""
    until = until or timezone.now()
    return (
        Incident.objects.filter(endpoint__repository__team=team, started_at__lt=until)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .select_related("endpoint", "endpoint__repository")
        .order_by("started_at")
    )


def _tls_facts(endpoint: Endpoint, record: ProbeRecord) -> dict | None:
    if urlsplit(endpoint.url).scheme != "https":
        return None
    if record.error_class == "tls":  # the handshake or the verification failed
        return {"verified": False, "days_left": None}
    if record.tls_verified is None:
        return None
    return {"verified": record.tls_verified, "days_left": record.tls_days_left}


def health_facts_for_repository(repository, *, now: datetime | None = None) -> HealthFacts:
    """The probes' view of a repository's enabled endpoints, in the keys checks/health.py reads."""
    endpoints = list(Endpoint.objects.filter(repository=repository, enabled=True).order_by("pk"))
    ids = [e.pk for e in endpoints]
    latest = latest_records(ids)
    stats = probe_stats(ids, now=now)
    facts = []
    for endpoint in endpoints:
        record = latest.get(endpoint.pk)
        fact = {
            "url": endpoint.url,
            "kind": endpoint.kind,
            "latest": None,
            "p95_24h_ms": stats[endpoint.pk]["p95_24h_ms"],
            "latency_threshold_ms": endpoint.latency_threshold_ms,
            "uptime_7d": stats[endpoint.pk]["uptime_7d"],
        }
        if record is not None:
            answered = record.status_code is not None
            fact["latest"] = {
                # The engine's "ok" is "it answered"; a wrong status or body is judged by the checks.
                "ok": answered,
                "status_code": record.status_code,
                "latency_ms": record.latency_ms,
                "error": None if answered else (record.error or record.error_class or "no answer"),
                "headers": record.headers if answered else {},
                "json": endpoint.last_json if answered else None,
                "tls": _tls_facts(endpoint, record),
            }
        facts.append(fact)
    return HealthFacts(endpoints=facts)


def readiness_cross_check(endpoints: list[Endpoint]) -> list[str]:
    """Readiness endpoints answering exactly like a liveness one (same body) without reporting any
    dependency: a readiness probe that cannot tell "running" from "ready"."""
    liveness = {e.last_body_sha256: e for e in endpoints if e.kind == Kind.LIVENESS and e.last_body_sha256}
    notes = []
    for endpoint in endpoints:
        if endpoint.kind != Kind.READINESS or endpoint.last_body_sha256 not in liveness:
            continue
        if reports_dependencies(endpoint.last_json):
            continue
        twin = liveness[endpoint.last_body_sha256]
        notes.append(
            f"Readiness endpoint “{endpoint.name}” answers exactly like liveness endpoint “{twin.name}” "
            "and reports no dependency: it cannot tell a process that runs from one that can serve."
        )
    return notes


def endpoint_cards(*, repository) -> dict:
    """Everything the endpoints page shows, in a fixed number of queries (one without endpoints)."""
    endpoints = list(endpoint_list_for_repository(repository=repository))
    ids = [e.pk for e in endpoints]
    # No endpoint, no figures: the records, statistics and incidents would be six empty queries.
    latest = latest_records(ids) if ids else {}
    stats = probe_stats(ids) if ids else {}
    incidents = incidents_for_endpoints(ids) if ids else {}
    cards = []
    for endpoint in endpoints:
        entry = stats[endpoint.pk]
        cards.append(
            {
                "endpoint": endpoint,
                "latest": latest.get(endpoint.pk),
                "stats": entry,
                "spark_path": sparkline_path(entry["spark"]),
                "incidents": incidents[endpoint.pk],
            }
        )
    return {
        "cards": cards,
        "cross_check": readiness_cross_check(endpoints),
        "spark_width": SPARK_WIDTH,
        "spark_height": SPARK_HEIGHT,
    }


def endpoint_card(*, endpoint: Endpoint) -> dict:
    stats = probe_stats([endpoint.pk])[endpoint.pk]
    return {
        "endpoint": endpoint,
        "latest": latest_records([endpoint.pk]).get(endpoint.pk),
        "stats": stats,
        "spark_path": sparkline_path(stats["spark"]),
        "incidents": incidents_for_endpoints([endpoint.pk])[endpoint.pk],
    }
