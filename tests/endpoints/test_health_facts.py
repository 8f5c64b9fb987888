"""Probe data → HealthFacts → the engine's health.* checks (readiness.engine.analyze)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from readiness.endpoints.models import Endpoint
from readiness.endpoints.selectors import health_facts_for_repository
from readiness.engine import analyze
from readiness.repos.models import AnalysisRun
from tests.factories import EndpointFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def _probe_history(endpoint, *, latencies, ok=True, status_code=200, **fields):
    """Records over the last hours, oldest first; the last one is the latest probe."""
    now = timezone.now()
    for index, latency in enumerate(latencies):
        endpoint.probes.create(
            at=now - timedelta(minutes=len(latencies) - index),
            ok=ok,
            status_code=status_code,
            latency_ms=latency,
            **fields,
        )
    endpoint.last_probe_at = now - timedelta(minutes=1)
    endpoint.save()


def _statuses(repository, tmp_path) -> dict[str, str]:
    report = analyze(tmp_path, health=health_facts_for_repository(repository))
    return {r.id: str(r.status) for r in report.results if r.id.startswith("health.")}


def test_healthy_endpoints_pass(tmp_path):
    repo = RepositoryFactory()
    live = EndpointFactory(repository=repo, url="http://web:8000/health", kind="liveness")
    ready = EndpointFactory(
        repository=repo, url="http://web:8000/ready", kind="readiness", latency_threshold_ms=5000
    )
    _probe_history(live, latencies=[5.0] * 30, headers={"server": "nginx"})
    _probe_history(ready, latencies=[40.0] * 30, headers={})
    Endpoint.objects.filter(pk=ready.pk).update(
        last_json={"status": "ok", "version": "2.1.0", "checks": {"database": "ok", "redis": "ok"}}
    )

    statuses = _statuses(repo, tmp_path)

    assert statuses["health.liveness_up"] == "pass"
    assert statuses["health.liveness_fast"] == "pass"
    assert statuses["health.readiness_up"] == "pass"
    assert statuses["health.readiness_reports_dependencies"] == "pass"
    assert statuses["health.version_reported"] == "pass"
    assert statuses["health.uptime"] == "pass"
    assert statuses["health.server_header_hidden"] == "pass"
    assert statuses["health.tls_valid"] == "na"  # plain http to a single-label (local) host


def test_failing_endpoints_fail(tmp_path):
    repo = RepositoryFactory()
    live = EndpointFactory(repository=repo, url="https://status.example.com/health", kind="liveness")
    ready = EndpointFactory(repository=repo, url="http://api.example.com/ready", kind="readiness")
    # Liveness: slow for a day (p95 250 ms over the 100 ms threshold), then a TLS failure.
    _probe_history(live, latencies=[250.0] * 20, headers={"server": "gunicorn/23.0"})
    live.probes.create(
        at=timezone.now(), ok=False, error_class="tls", error="certificate verify failed", latency_ms=None
    )
    # Readiness: answers 503 with a body that names no dependency.
    _probe_history(ready, latencies=[20.0] * 5, ok=False, status_code=503, error_class="status")
    Endpoint.objects.filter(pk=ready.pk).update(last_json={"status": "unavailable"})

    statuses = _statuses(repo, tmp_path)

    assert statuses["health.liveness_up"] == "fail"
    assert statuses["health.liveness_fast"] == "fail"
    assert statuses["health.readiness_up"] == "fail"
    assert statuses["health.readiness_reports_dependencies"] == "fail"
    assert statuses["health.uptime"] == "fail"
    assert statuses["health.tls_valid"] == "fail"  # https that does not verify; http to a public host


def test_without_endpoints_every_health_check_is_na(tmp_path):
    repo = RepositoryFactory()
    EndpointFactory(repository=repo, enabled=False)
    statuses = _statuses(repo, tmp_path)
    assert statuses and set(statuses.values()) == {"na"}


def test_facts_carry_the_documented_keys():
    repo = RepositoryFactory()
    endpoint = EndpointFactory(
        repository=repo, url="https://status.example.com/health", latency_threshold_ms=80
    )
    _probe_history(
        endpoint, latencies=[10.0, 30.0], tls_verified=True, tls_days_left=40, headers={"server": "x"}
    )
    (fact,) = health_facts_for_repository(repo).endpoints
    assert fact["url"] == endpoint.url and fact["kind"] == "liveness"
    assert fact["latency_threshold_ms"] == 80 and fact["uptime_7d"] == 1.0
    assert fact["p95_24h_ms"] == pytest.approx(29.0)
    assert fact["latest"]["ok"] is True and fact["latest"]["status_code"] == 200
    assert fact["latest"]["tls"] == {"verified": True, "days_left": 40}


def test_an_analysis_run_scores_the_probes(sample_repo_dir):
    from readiness.pipeline.analysis import analysis_execute

    repo = RepositoryFactory(url=str(sample_repo_dir))
    endpoint = EndpointFactory(repository=repo, url="http://web:8000/health")
    _probe_history(endpoint, latencies=[5.0] * 3)
    run = AnalysisRun.objects.create(repository=repo)

    analysis_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    result = run.check_results.get(check_id="health.liveness_up")
    assert result.status == "pass" and result.evidence[0]["file"] == endpoint.url
