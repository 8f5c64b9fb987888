"""The batch prober against a real local server: status, body, headers, errors, a large batch."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime

import pytest

from readiness.probes.guard import AddressPolicy, AllowRule
from readiness.probes.prober import (
    EndpointSpec,
    check_expectations,
    parse_json,
    probe_batch,
    probe_batch_sync,
)

from .conftest import HEALTHY, fake_resolver, free_port


@pytest.fixture
def policy(server) -> AddressPolicy:
    return AddressPolicy(allow=[AllowRule("127.0.0.1", server.port, "test server", "tests")])


def probe(spec: EndpointSpec, policy: AddressPolicy, **kwargs):
    (result,) = probe_batch_sync([spec], policy=policy, **kwargs)
    return result


def test_a_healthy_json_endpoint(server, policy):
    before = datetime.now(UTC)
    result = probe(
        EndpointSpec(
            "live",
            server.url("/ok"),
            expectations={
                "equals": {"status": "ok", "database.status": "ok"},
                "required_keys": ["redis", "version"],
            },
        ),
        policy,
    )
    assert result.ok is True
    assert (result.endpoint_id, result.error_class, result.error) == ("live", None, None)
    assert result.status_code == 200
    assert result.started_at.tzinfo is UTC and result.started_at >= before
    assert result.latency_ms > 0
    assert result.slow is None
    assert result.expectations_held is True
    assert result.body_json == HEALTHY
    assert result.body_sha256 == hashlib.sha256(json.dumps(HEALTHY).encode()).hexdigest()
    assert result.headers["x-powered-by"] == "Express"
    assert result.headers["x-content-type-options"] == "nosniff"
    assert result.headers["server"].startswith("BaseHTTP/")
    assert "content-type" not in result.headers
    assert (result.tls_days_left, result.tls_verified) == (None, None)
    assert result.final_url == server.url("/ok")


@pytest.mark.parametrize(
    ("expectations", "why"),
    [
        ({"equals": {"status": "degraded"}}, 'the body\'s \'status\' is "ok", expected "degraded"'),
        ({"equals": {"database.status": "up"}}, 'the body\'s \'database.status\' is "ok", expected "up"'),
        ({"required_keys": ["database", "queue"]}, "the body has no 'queue'"),
        ({"required_keys": ["redis.status"]}, "the body has no 'redis.status'"),
    ],
)
def test_unmet_body_expectations(server, policy, expectations, why):
    result = probe(EndpointSpec(1, server.url("/ok"), expectations=expectations), policy)
    assert (result.ok, result.error_class, result.error) == (False, "body", why)
    assert result.expectations_held is False
    assert result.status_code == 200


def test_expectations_on_a_body_that_is_not_json(server, policy):
    result = probe(EndpointSpec(1, server.url("/text"), expectations={"required_keys": ["status"]}), policy)
    assert (result.error_class, result.expectations_held, result.body_json) == ("body", False, None)
    assert result.body_sha256 == hashlib.sha256(b"all good").hexdigest()


def test_a_server_error_is_a_status_failure(server, policy):
    result = probe(EndpointSpec(1, server.url("/status/500")), policy)
    assert (result.ok, result.error_class, result.status_code) == (False, "status", 500)
    assert result.error == "answered 500, expected 2xx"
    assert result.body_json == {"status": "error"}


def test_expected_status_can_be_chosen(server, policy):
    assert probe(EndpointSpec(1, server.url("/status/503"), expected_status={503}), policy).ok is True
    refused = probe(EndpointSpec(1, server.url("/ok"), expected_status={204, 503}), policy)
    assert refused.error == "answered 200, expected 204, 503"


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_a_slow_endpoint_times_out(server, policy, path):
    result = probe(EndpointSpec(1, server.url(path), timeout_s=0.3), policy)
    assert (result.ok, result.error_class, result.status_code) == (False, "timeout", None)
    assert "0.3 s" in result.error


def test_the_body_is_capped_at_64_kib(server, policy):
    result = probe(EndpointSpec(1, server.url("/big")), policy)
    assert result.ok is True
    assert result.body_sha256 == hashlib.sha256(b"x" * 65536).hexdigest()
    assert result.body_json is None


def test_the_latency_threshold_marks_slow_answers(server, policy):
    assert probe(EndpointSpec(1, server.url("/ok"), latency_threshold_ms=0), policy).slow is True
    assert probe(EndpointSpec(1, server.url("/ok"), latency_threshold_ms=60_000), policy).slow is False


def test_every_failure_has_its_class(server, policy):
    closed = free_port()
    policy.allow.append(AllowRule("127.0.0.1", closed))
    specs = [
        EndpointSpec("blocked", "http://169.254.169.254/latest/meta-data/"),
        EndpointSpec("redirect", server.url("/redirect?to=http://10.0.0.1/")),
        EndpointSpec("scheme", "file:///etc/passwd"),
        EndpointSpec("dns", "http://gone.example.com/"),
        EndpointSpec("connect", f"http://127.0.0.1:{closed}/"),
    ]
    results = probe_batch_sync(specs, policy=policy, resolver=fake_resolver({"gone.example.com": []}))
    assert {r.endpoint_id: r.error_class for r in results} == {
        "blocked": "blocked",
        "redirect": "blocked",
        "scheme": "blocked",
        "dns": "dns",
        "connect": "connect",
    }
    assert all(r.ok is False and r.error for r in results)
    assert "169.254.169.254 is a cloud metadata service" in results[0].error


def test_tls_facts_are_reported(start_server, certificates):
    server = start_server(ssl_context=certificates.server_context([]))
    policy = AddressPolicy(allow=[AllowRule("127.0.0.1", server.port)])
    result = probe(
        EndpointSpec(1, f"https://probe.test:{server.port}/ok"),
        policy,
        resolver=fake_resolver({"probe.test": ["127.0.0.1"]}),
        ssl_context=certificates.client_context(),
    )
    assert (result.ok, result.tls_verified, result.tls_days_left) == (True, True, 30)


def test_a_thousand_endpoints_in_one_batch(server, policy):
    paths = ["/ok", "/status/500", "/text", "/echo"]
    # A generous timeout: this checks correctness at scale, not speed, on however busy a machine.
    specs = [EndpointSpec(i, server.url(paths[i % 4] + f"?n={i}"), timeout_s=60) for i in range(1000)]
    results = asyncio.run(probe_batch(specs, policy=policy, concurrency=100))
    assert [r.endpoint_id for r in results] == list(range(1000))
    assert [r.error_class for r in results] == [("status" if i % 4 == 1 else None) for i in range(1000)]
    assert len(server.requests) == 1000


def test_concurrency_is_bounded(server, policy, monkeypatch):
    from readiness.probes import prober

    in_flight, peak = 0, 0
    real = prober.guarded_get_async

    async def counting(*args, **kwargs):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.01)
            return await real(*args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(prober, "guarded_get_async", counting)
    results = probe_batch_sync(
        [EndpointSpec(i, server.url("/ok")) for i in range(40)], policy=policy, concurrency=5
    )
    assert all(r.ok for r in results)
    assert peak == 5


def test_parse_json_refuses_what_postgres_or_python_cannot_hold():
    assert parse_json(b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert parse_json(b'{"a": NaN}') is None
    assert parse_json(b"[" * 100_000 + b"]" * 100_000) is None
    assert parse_json(b"\xff\xfe") is None
    assert parse_json(b"") is None


def test_expectations_walk_arrays_by_index():
    body = {"checks": [{"name": "db", "status": "up"}]}
    assert check_expectations({"equals": {"checks.0.status": "up"}}, body) == (True, None)
    assert check_expectations({"required_keys": ["checks.1"]}, body) == (False, "the body has no 'checks.1'")
    assert check_expectations(None, body) == (None, None)


def test_spec_validation():
    with pytest.raises(ValueError, match="unknown body expectations: contains"):
        EndpointSpec(1, "http://example.com/", expectations={"contains": "ok"})
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        EndpointSpec(1, "http://example.com/", timeout_s=0)


def test_true_is_not_one():
    assert check_expectations({"equals": {"ok": True}}, {"ok": 1})[0] is False
    assert check_expectations({"equals": {"ok": 1}}, {"ok": True})[0] is False
    assert check_expectations({"equals": {"ok": True, "n": 1}}, {"ok": True, "n": 1.0}) == (True, None)


def test_concurrency_must_be_positive(policy):
    with pytest.raises(ValueError, match="concurrency"):
        probe_batch_sync([], policy=policy, concurrency=0)


@pytest.mark.parametrize(
    "headers", [{"X-Token": "a\r\nInjected: 1"}, {"Bad Name": "x"}, {"X-Name": "café"}, {"X-N": 1}]
)
def test_spec_refuses_headers_that_cannot_be_sent(headers):
    with pytest.raises((ValueError, TypeError)):
        EndpointSpec(1, "http://example.com/", headers=headers)


def test_spec_headers_are_sent(server, policy):
    result = probe(EndpointSpec(1, server.url("/echo"), headers={"Authorization": "Bearer t0ken"}), policy)
    assert result.body_json["headers"]["Authorization"] == "Bearer t0ken"
