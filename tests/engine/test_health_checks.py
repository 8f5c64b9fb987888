"""The health.* checks over probe facts: a pass, a fail and an na case for every id (no network)."""

import random
from types import SimpleNamespace

import pytest

from readiness.engine import HealthFacts, Status
from readiness.engine.registry import all_checks

HEALTH_IDS = [
    "health.liveness_up",
    "health.liveness_fast",
    "health.readiness_up",
    "health.readiness_reports_dependencies",
    "health.version_reported",
    "health.uptime",
    "health.tls_valid",
    "health.server_header_hidden",
    "health.security_headers",
]

SECURE_HEADERS = {"strict-transport-security": "max-age=31536000", "x-content-type-options": "nosniff"}


def probe(status_code=200, *, ok=True, json=None, headers=None, tls=None, error=None):
    return {
        "ok": ok,
        "status_code": status_code,
        "latency_ms": 12,
        "error": error,
        "headers": headers if headers is not None else {},
        "json": json,
        "tls": tls,
    }


def endpoint(url="https://api.example.com/health", kind="liveness", latest=None, **extra):
    return {"url": url, "kind": kind, "latest": latest, **extra}


def run(check_id, endpoints):
    func = {meta.id: func for meta, func in all_checks()}[check_id]
    health = None if endpoints is None else HealthFacts(endpoints=endpoints)
    return func(SimpleNamespace(health=health))


def test_every_health_id_of_the_catalog_is_registered():
    assert sorted(HEALTH_IDS) == sorted(meta.id for meta, _ in all_checks() if meta.id.startswith("health."))


@pytest.mark.parametrize("check_id", HEALTH_IDS)
@pytest.mark.parametrize(
    "endpoints", [None, [], [endpoint(latest=None, kind="other", url="https://x.test/")]]
)
def test_na_without_health_facts_or_probes(check_id, endpoints):
    if check_id == "health.tls_valid" and endpoints:
        endpoints = [endpoint(url="https://x.test/", latest=None)]  # https, never probed: nothing to judge
    assert run(check_id, endpoints).status is Status.NA


CASES = [
    # (check id, endpoints, expected status, a fragment of the first evidence message)
    ("health.liveness_up", [endpoint(latest=probe(200))], Status.PASS, "answered 200"),
    ("health.liveness_up", [endpoint(latest=probe(503))], Status.FAIL, "answered 503"),
    (
        "health.liveness_up",
        [endpoint(latest=probe(None, ok=False, error="timed out"))],
        Status.FAIL,
        "timed out",
    ),
    ("health.liveness_up", [endpoint(kind="readiness", latest=probe(503))], Status.NA, None),
    ("health.liveness_fast", [endpoint(p95_24h_ms=40)], Status.PASS, "40 ms"),
    ("health.liveness_fast", [endpoint(p95_24h_ms=100)], Status.FAIL, "threshold 100 ms"),
    (
        "health.liveness_fast",
        [endpoint(p95_24h_ms=150, latency_threshold_ms=200)],
        Status.PASS,
        "threshold 200",
    ),
    ("health.liveness_fast", [endpoint(p95_24h_ms=None)], Status.NA, None),
    ("health.readiness_up", [endpoint(kind="readiness", latest=probe(204))], Status.PASS, "204"),
    ("health.readiness_up", [endpoint(kind="readiness", latest=probe(500))], Status.FAIL, "500"),
    ("health.readiness_up", [endpoint(latest=probe(500))], Status.NA, None),
    (
        "health.readiness_reports_dependencies",
        [
            endpoint(
                kind="readiness", latest=probe(json={"status": "ok", "checks": {"db": "ok", "redis": "ok"}})
            )
        ],
        Status.PASS,
        "dependency states",
    ),
    (
        "health.readiness_reports_dependencies",
        [endpoint(latest=probe(json={"database": {"status": "up"}}))],
        Status.PASS,
        "dependency states",
    ),
    (
        "health.readiness_reports_dependencies",
        [endpoint(latest=probe(json={"components": [{"name": "cache", "healthy": True}]}))],
        Status.PASS,
        None,
    ),
    (
        "health.readiness_reports_dependencies",
        [endpoint(kind="readiness", latest=probe(json={"status": "ok"}))],
        Status.FAIL,
        "names no dependency",
    ),
    (
        "health.readiness_reports_dependencies",
        [endpoint(kind="readiness", latest=probe(json={"database": None, "checks": {}}))],
        Status.FAIL,
        "names no dependency",
    ),
    (
        "health.readiness_reports_dependencies",
        [endpoint(latest=probe(json=None))],
        Status.FAIL,
        "does not answer JSON",
    ),
    ("health.version_reported", [endpoint(latest=probe(json={"version": "1.4.2"}))], Status.PASS, "1.4.2"),
    (
        "health.version_reported",
        [endpoint(latest=probe(json={"build": {"commit": "3f2a9c1"}}))],
        Status.PASS,
        "3f2a9c1",
    ),
    ("health.version_reported", [endpoint(latest=probe(json={"status": "ok"}))], Status.FAIL, "no version"),
    ("health.version_reported", [endpoint(latest=probe(json=None))], Status.FAIL, "no version"),
    ("health.uptime", [endpoint(uptime_7d=0.9995)], Status.PASS, "99.950%"),
    ("health.uptime", [endpoint(uptime_7d=0.99)], Status.FAIL, "99.000%"),
    ("health.uptime", [endpoint(uptime_7d=0.99, uptime_threshold=0.98)], Status.PASS, "threshold 98.000%"),
    ("health.uptime", [endpoint(uptime_7d=None)], Status.NA, None),
    (
        "health.tls_valid",
        [endpoint(latest=probe(tls={"verified": True, "days_left": 60}))],
        Status.PASS,
        "60 more days",
    ),
    (
        "health.tls_valid",
        [endpoint(latest=probe(tls={"verified": True, "days_left": 13}))],
        Status.FAIL,
        "13 days",
    ),
    (
        "health.tls_valid",
        [endpoint(latest=probe(tls={"verified": False, "days_left": 90}))],
        Status.FAIL,
        "verify",
    ),
    ("health.tls_valid", [endpoint(url="http://api.example.com/health")], Status.FAIL, "plain http"),
    ("health.tls_valid", [endpoint(url="http://8.8.8.8/health")], Status.FAIL, "plain http"),
    ("health.tls_valid", [endpoint(url="http://[2606:4700::1111]/health")], Status.FAIL, "plain http"),
    ("health.tls_valid", [endpoint(url="http://localhost:8000/health")], Status.NA, None),
    ("health.tls_valid", [endpoint(url="http://127.0.0.1:8000/health")], Status.NA, None),
    ("health.tls_valid", [endpoint(url="http://web:8000/health")], Status.NA, None),
    ("health.tls_valid", [endpoint(url="http://10.0.0.5/health")], Status.NA, None),
    ("health.server_header_hidden", [endpoint(latest=probe(headers={"server": "nginx"}))], Status.PASS, None),
    (
        "health.server_header_hidden",
        [endpoint(latest=probe(headers={"server": "gunicorn/23.0"}))],
        Status.FAIL,
        "server: gunicorn/23.0",
    ),
    (
        "health.server_header_hidden",
        [endpoint(latest=probe(headers={"Server": "Apache 2.4.62"}))],
        Status.FAIL,
        "Apache 2.4.62",
    ),
    (
        "health.server_header_hidden",
        [endpoint(latest=probe(headers={"x-powered-by": "Express"}))],
        Status.FAIL,
        "x-powered-by: Express",
    ),
    ("health.security_headers", [endpoint(latest=probe(headers=SECURE_HEADERS))], Status.PASS, "present"),
    (
        "health.security_headers",
        [endpoint(latest=probe(headers={"x-content-type-options": "nosniff"}))],
        Status.FAIL,
        "missing Strict-Transport-Security",
    ),
    (
        "health.security_headers",
        [endpoint(latest=probe(headers={"strict-transport-security": "max-age=600"}))],
        Status.FAIL,
        "X-Content-Type-Options: nosniff",
    ),
    ("health.security_headers", [endpoint(url="http://localhost/health", latest=probe())], Status.NA, None),
]


@pytest.mark.parametrize(("check_id", "endpoints", "expected", "message"), CASES)
def test_health_check(check_id, endpoints, expected, message):
    result = run(check_id, endpoints)
    assert result.status is expected, result
    if message is not None:
        assert message in result.evidence[0].message
        assert result.evidence[0].file == endpoints[0]["url"]


def test_worst_endpoint_decides_and_each_is_evidence():
    result = run(
        "health.liveness_up",
        [
            endpoint(url="https://a.test/", latest=probe(200)),
            endpoint(url="https://b.test/", latest=probe(502)),
        ],
    )
    assert result.status is Status.FAIL
    assert [e.file for e in result.evidence] == ["https://a.test/", "https://b.test/"]


def test_one_endpoint_reporting_dependencies_is_enough():
    result = run(
        "health.readiness_reports_dependencies",
        [endpoint(latest=probe(json={"status": "ok"})), endpoint(latest=probe(json={"redis": "up"}))],
    )
    assert result.status is Status.PASS


def test_readiness_endpoints_are_preferred_for_dependencies():
    endpoints = [
        endpoint(kind="liveness", latest=probe(json={"db": "ok"})),
        endpoint(kind="readiness", latest=probe(json={"status": "ok"})),
    ]
    assert run("health.readiness_reports_dependencies", endpoints).status is Status.FAIL


def test_health_checks_are_registered_with_catalog_metadata():
    metas = {meta.id: meta for meta, _ in all_checks() if meta.id.startswith("health.")}
    assert metas["health.tls_valid"].category == "security"
    assert metas["health.liveness_fast"].category == "performance"
    assert metas["health.readiness_reports_dependencies"].sources == ("001", "003")
    assert all(meta.remediation and meta.description for meta in metas.values())
    assert not any(meta.soft for meta in metas.values())


JUNK = [None, True, 0, -1, 1.5, "", "x", "200", [], [1], {}, {"a": 1}, "https://a.test/", float("nan")]


def test_malformed_facts_never_crash_a_check():
    # The facts come from the web app's own rows, but a check must still not raise on odd values.
    rng = random.Random(7)
    keys = ["url", "kind", "latest", "p95_24h_ms", "latency_threshold_ms", "uptime_7d", "uptime_threshold"]
    probe_keys = ["ok", "status_code", "latency_ms", "error", "headers", "json", "tls"]
    for _ in range(300):
        latest = {key: rng.choice(JUNK) for key in probe_keys}
        latest["tls"] = rng.choice([*JUNK, {"verified": rng.choice(JUNK), "days_left": rng.choice(JUNK)}])
        item = {key: rng.choice(JUNK) for key in keys} | {"latest": rng.choice([latest, *JUNK])}
        for check_id in HEALTH_IDS:
            assert run(check_id, [item, rng.choice(JUNK)]).status in set(Status)
