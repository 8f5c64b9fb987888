"""Probe many health endpoints at once, each through the guarded client, and judge the answers.

A probe is ``ok`` when the endpoint answered with an expected status and its body met the
expectations; otherwise ``error_class`` says which step failed: dns, connect, tls, timeout,
status, body or blocked (the guard refused the URL or a redirect).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .client import DEFAULT_MAX_BODY, ProbeError, ProbeResponse, guarded_get_async
from .guard import AddressPolicy, BlockedAddress, Resolver

# What health.* checks read from an answer; lower-case, as the engine expects them.
SELECTED_HEADERS = (
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "strict-transport-security",
    "x-content-type-options",
)
EXPECTATION_KEYS = frozenset({"equals", "required_keys"})
_MISSING = object()
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\x20-\x7e\t]*$")


@dataclass(frozen=True)
class EndpointSpec:
    """One endpoint to probe.

    ``expected_status``: the statuses that count as up; None means any 2xx.
    ``expectations``: about the JSON body, by dotted path:
    ``{"equals": {"status": "ok", "checks.db": "up"}, "required_keys": ["database", "redis"]}``.
    ``latency_threshold_ms`` only sets ``ProbeResult.slow``: a slow answer is still an answer.
    """

    id: Any
    url: str
    timeout_s: float = 5.0
    expected_status: Collection[int] | None = None
    latency_threshold_ms: float | None = None
    expectations: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.expectations or {}) - EXPECTATION_KEYS
        if unknown:
            raise ValueError(f"unknown body expectations: {', '.join(sorted(unknown))}")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        for name, value in self.headers.items():
            # Checked here, so one bad row cannot break a whole batch at send time.
            if not _HEADER_NAME.match(name) or not _HEADER_VALUE.match(value):
                raise ValueError(f"header {name!r} is not a valid HTTP header name and ASCII value")


@dataclass(frozen=True)
class ProbeResult:
    endpoint_id: Any
    started_at: datetime  # UTC
    ok: bool
    error_class: str | None  # dns, connect, tls, timeout, status, body, blocked
    error: str | None
    status_code: int | None = None
    latency_ms: float | None = None
    slow: bool | None = None  # latency over the endpoint's threshold; None without one
    final_url: str | None = None
    tls_days_left: int | None = None
    tls_verified: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expectations_held: bool | None = None  # None when the endpoint has none
    body_json: Any = None  # the parsed body when it was complete JSON
    body_sha256: str | None = None  # to tell whether two endpoints gave the same answer


async def probe_batch(
    endpoints: list[EndpointSpec],
    *,
    policy: AddressPolicy,
    concurrency: int = 100,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
) -> list[ProbeResult]:
    """Probe every endpoint, at most ``concurrency`` at a time; results in the input's order."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded(spec: EndpointSpec) -> ProbeResult:
        async with semaphore:
            return await probe_one(spec, policy=policy, resolver=resolver, ssl_context=ssl_context)

    return list(await asyncio.gather(*(bounded(spec) for spec in endpoints)))


def probe_batch_sync(
    endpoints: list[EndpointSpec],
    *,
    policy: AddressPolicy,
    concurrency: int = 100,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
) -> list[ProbeResult]:
    """``probe_batch`` for callers without an event loop (Celery tasks, the CLI)."""
    return asyncio.run(
        probe_batch(
            endpoints, policy=policy, concurrency=concurrency, resolver=resolver, ssl_context=ssl_context
        )
    )


async def probe_one(
    spec: EndpointSpec,
    *,
    policy: AddressPolicy,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResult:
    started_at = datetime.now(UTC)
    try:
        response = await guarded_get_async(
            spec.url,
            policy=policy,
            timeout=spec.timeout_s,
            headers=spec.headers,
            max_body=DEFAULT_MAX_BODY,
            resolver=resolver,
            ssl_context=ssl_context,
        )
    except BlockedAddress as exc:
        return ProbeResult(spec.id, started_at, ok=False, error_class="blocked", error=str(exc))
    except ProbeError as exc:
        return ProbeResult(spec.id, started_at, ok=False, error_class=exc.kind, error=str(exc))
    return judge_response(spec, response, started_at)


def judge_response(spec: EndpointSpec, response: ProbeResponse, started_at: datetime) -> ProbeResult:
    """Turn an answer into a result: status first, then the body expectations."""
    body_json = parse_json(response.body) if not response.body_truncated else None
    held, why_not = check_expectations(spec.expectations, body_json)
    error_class, error = None, None
    if not _status_expected(response.status_code, spec.expected_status):
        wanted = "2xx" if spec.expected_status is None else ", ".join(map(str, sorted(spec.expected_status)))
        error_class, error = "status", f"answered {response.status_code}, expected {wanted}"
    elif held is False:
        error_class, error = "body", why_not
    threshold = spec.latency_threshold_ms
    return ProbeResult(
        endpoint_id=spec.id,
        started_at=started_at,
        ok=error_class is None,
        error_class=error_class,
        error=error,
        status_code=response.status_code,
        latency_ms=response.latency_ms,
        slow=None if threshold is None else response.latency_ms > threshold,
        final_url=response.final_url,
        tls_days_left=response.tls.days_left if response.tls else None,
        tls_verified=response.tls.verified if response.tls else None,
        headers={name: response.headers[name] for name in SELECTED_HEADERS if name in response.headers},
        expectations_held=held,
        body_json=body_json,
        body_sha256=hashlib.sha256(response.body).hexdigest(),
    )


def parse_json(body: bytes) -> Any:
    """The body as JSON, or None. NaN and Infinity are refused: PostgreSQL's jsonb has no such values."""
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past Python's limit
        return None


def check_expectations(
    expectations: Mapping[str, Any] | None, body_json: Any
) -> tuple[bool | None, str | None]:
    """(held, why not). ``held`` is None when there is nothing to check."""
    if not expectations:
        return None, None
    if body_json is None:
        return False, "the body is not JSON (or was larger than the 64 KiB read)"
    for path in expectations.get("required_keys", ()):
        if _lookup(body_json, path) is _MISSING:
            return False, f"the body has no {path!r}"
    for path, expected in expectations.get("equals", {}).items():
        actual = _lookup(body_json, path)
        if actual is _MISSING:
            return False, f"the body has no {path!r}"
        if not _json_equal(actual, expected):
            return (
                False,
                f"the body's {path!r} is {json.dumps(actual)[:100]}, expected {json.dumps(expected)[:100]}",
            )
    return True, None


def _lookup(document: Any, dotted_path: str) -> Any:
    """``"checks.0.status"``: keys of objects, indexes of arrays."""
    value = document
    for part in dotted_path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _json_equal(actual: Any, expected: Any) -> bool:
    """Equal as JSON values: ``true`` is not ``1``, though Python says ``True == 1``."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    return actual == expected


def _status_expected(status: int, expected: Collection[int] | None) -> bool:
    return 200 <= status < 300 if expected is None else status in expected


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
