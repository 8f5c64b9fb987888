"""Probing a real local HTTP server: records, states, incidents, headers, the guard at probe time."""

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from readiness.core.models import AllowedNetwork
from readiness.endpoints import services
from readiness.endpoints.models import Endpoint, Incident, ProbeRecord, State
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def _endpoint(server, path, **kwargs):
    kwargs.setdefault("timeout_s", 2)
    return services.endpoint_register(
        repository=kwargs.pop("repository", None) or RepositoryFactory(),
        name=kwargs.pop("name", path),
        url=server.url(path),
        **kwargs,
    )


def _probe(*endpoints):
    return services.probes_run_batch(endpoint_ids=[e.pk for e in endpoints])


def test_one_batch_records_ok_failing_and_slow_endpoints(allowed_server):
    allowed_server.route(
        "/health",
        body={"status": "ok", "version": "1.2.3"},
        headers={"Server": "gunicorn/23.0", "X-Content-Type-Options": "nosniff"},
    )
    allowed_server.route("/ready", status=500, body={"status": "down", "database": "down"})
    allowed_server.route("/slow", delay=1.5)
    repo = RepositoryFactory()
    ok = _endpoint(allowed_server, "/health", repository=repo)
    failing = _endpoint(allowed_server, "/ready", repository=repo, kind="readiness")
    slow = _endpoint(allowed_server, "/slow", repository=repo, timeout_s=0.5)

    _probe(ok, failing, slow)

    records = {r.endpoint_id: r for r in ProbeRecord.objects.all()}
    assert len(records) == 3
    good = records[ok.pk]
    assert good.ok and good.status_code == 200 and good.latency_ms > 0 and good.error_class == ""
    assert good.headers == {"server": "gunicorn/23.0", "x-content-type-options": "nosniff"}
    assert good.json_keys == ["status", "version"] and len(good.body_sha256) == 64
    assert not records[failing.pk].ok and records[failing.pk].status_code == 500
    assert records[failing.pk].error_class == "status"
    assert records[slow.pk].error_class == "timeout" and records[slow.pk].status_code is None
    ok.refresh_from_db()
    assert ok.state == State.UP and ok.last_json == {"status": "ok", "version": "1.2.3"}
    assert ok.last_probe_at == min(r.at for r in records.values())  # the batch's start
    assert Endpoint.objects.get(pk=failing.pk).state == State.DOWN


def test_up_down_up_opens_and_closes_one_incident(allowed_server):
    allowed_server.route("/health")
    endpoint = _endpoint(allowed_server, "/health")
    _probe(endpoint)
    assert not Incident.objects.exists()

    allowed_server.route("/health", status=503, body={"status": "down"})
    _probe(endpoint)
    _probe(endpoint)  # still down: the same incident stays open
    incident = Incident.objects.get()
    assert incident.ended_at is None and incident.error_class == "status"
    assert "answered 503" in incident.cause
    assert Endpoint.objects.get(pk=endpoint.pk).state == State.DOWN

    allowed_server.route("/health")
    _probe(endpoint)
    incident.refresh_from_db()
    recovered = ProbeRecord.objects.filter(endpoint=endpoint, ok=True).latest("at")
    assert incident.ended_at == recovered.at
    assert Endpoint.objects.get(pk=endpoint.pk).state == State.UP
    assert Incident.objects.count() == 1


def test_body_expectations_and_expected_status(allowed_server):
    allowed_server.route("/ready", body={"status": "ok", "checks": {"database": "up"}})
    allowed_server.route("/gone", status=404)
    held = _endpoint(
        allowed_server,
        "/ready",
        kind="readiness",
        expectations={"equals": {"status": "ok"}, "required_keys": ["checks.database"]},
    )
    missing = _endpoint(
        allowed_server, "/ready", name="needs redis", expectations={"required_keys": ["redis"]}
    )
    expects_404 = _endpoint(allowed_server, "/gone", expected_status=[404])
    _probe(held, missing, expects_404)
    records = {r.endpoint_id: r for r in ProbeRecord.objects.all()}
    assert records[held.pk].ok and records[held.pk].expectations_held is True
    assert not records[missing.pk].ok and records[missing.pk].error_class == "body"
    assert records[missing.pk].expectations_held is False and "'redis'" in records[missing.pk].error
    assert records[expects_404.pk].ok


def test_stored_headers_are_sent(allowed_server):
    allowed_server.route("/private")
    endpoint = _endpoint(allowed_server, "/private", headers={"Authorization": "Bearer t0ken"})
    _probe(endpoint)
    assert allowed_server.seen[-1]["headers"]["Authorization"] == "Bearer t0ken"


def test_the_guard_judges_again_at_every_probe(allowed_server):
    allowed_server.route("/health")
    endpoint = _endpoint(allowed_server, "/health")
    AllowedNetwork.objects.all().delete()  # the administrator withdraws the rule
    _probe(endpoint)
    record = ProbeRecord.objects.get()
    assert record.error_class == "blocked" and "loopback" in record.error
    assert allowed_server.seen == []


def test_a_row_that_cannot_be_probed_is_recorded_not_fatal(allowed_server):
    allowed_server.route("/health")
    good = _endpoint(allowed_server, "/health")
    broken = _endpoint(allowed_server, "/health", name="broken")
    Endpoint.objects.filter(pk=broken.pk).update(headers_encrypted="not-a-fernet-token")
    _probe(good, broken)
    records = {r.endpoint_id: r for r in ProbeRecord.objects.all()}
    assert records[good.pk].ok
    assert records[broken.pk].error_class == "config"


def test_disabled_endpoints_are_skipped_and_results_are_counted(allowed_server):
    allowed_server.route("/health")
    endpoint = _endpoint(allowed_server, "/health")
    disabled = _endpoint(allowed_server, "/health", name="off", enabled=False)

    def count(outcome):
        return REGISTRY.get_sample_value("readiness_probe_results_total", {"outcome": outcome}) or 0

    before = count("ok")
    _probe(endpoint, disabled)
    assert count("ok") == before + 1
    assert not ProbeRecord.objects.filter(endpoint=disabled).exists()


def test_the_batch_task_probes_by_id(allowed_server):
    from readiness.endpoints.tasks import probe_run_batch_task

    allowed_server.route("/health")
    endpoint = _endpoint(allowed_server, "/health")
    assert probe_run_batch_task(endpoint_ids=[endpoint.pk]) == 1
    assert ProbeRecord.objects.filter(endpoint=endpoint, ok=True).count() == 1


def test_disabling_or_retargeting_a_down_endpoint_closes_its_incident(allowed_server):
    allowed_server.route("/down", status=500)
    allowed_server.route("/health")
    endpoint = _endpoint(allowed_server, "/down")
    _probe(endpoint)
    assert Incident.objects.get().ended_at is None

    services.endpoint_update(endpoint=endpoint, url=allowed_server.url("/health"))
    endpoint.refresh_from_db()
    assert endpoint.state == State.UNKNOWN and Incident.objects.get().ended_at is not None

    services.endpoint_update(endpoint=endpoint, url=allowed_server.url("/down"))
    _probe(endpoint)
    assert Incident.objects.filter(ended_at__isnull=True).count() == 1
    services.endpoint_update(endpoint=endpoint, enabled=False)
    assert not Incident.objects.filter(ended_at__isnull=True).exists()
    assert Endpoint.objects.get(pk=endpoint.pk).state == State.UNKNOWN


def test_an_older_result_never_overwrites_a_newer_state(allowed_server):

    from readiness.probes.prober import ProbeResult

    allowed_server.route("/health")
    endpoint = _endpoint(allowed_server, "/health")
    _probe(endpoint)
    newest = ProbeRecord.objects.get().at
    stale = ProbeResult(
        endpoint.pk, newest - timedelta(seconds=5), ok=False, error_class="timeout", error="slow"
    )
    services._apply_states([stale])  # say, a probe-now that started earlier and finished later
    endpoint.refresh_from_db()
    assert endpoint.state == State.UP and not Incident.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"status": "ok\\u0000", "k\\u0000": 1}',  # jsonb refuses NUL, in keys and values alike
        b'{"status": "ok", "uptime": 1e400}',  # Python reads an infinity; jsonb has none
    ],
)
def test_a_body_postgresql_cannot_store_does_not_sink_the_batch(allowed_server, body):
    allowed_server.route("/hostile", body=body)
    allowed_server.route("/health")
    hostile = _endpoint(allowed_server, "/hostile")
    neighbour = _endpoint(allowed_server, "/health")
    _probe(hostile, neighbour)
    records = {r.endpoint_id: r for r in ProbeRecord.objects.all()}
    assert records[neighbour.pk].ok and records[hostile.pk].ok
    assert records[hostile.pk].json_keys is None
    assert Endpoint.objects.get(pk=hostile.pk).last_json is None


def test_an_error_message_with_nul_is_stored_without_it(allowed_server):
    from readiness.probes.prober import ProbeResult

    allowed_server.route("/health")
    endpoint = _endpoint(allowed_server, "/health")
    _probe(endpoint)
    later = ProbeRecord.objects.get().at + timedelta(seconds=1)
    result = ProbeResult(endpoint.pk, later, ok=False, error_class="connect", error="reset\x00by peer")
    ProbeRecord.objects.bulk_create([services._record(endpoint.pk, result)])
    services._apply_states([result])
    assert ProbeRecord.objects.filter(error="resetby peer").exists()
    assert Incident.objects.get().cause == "resetby peer"
