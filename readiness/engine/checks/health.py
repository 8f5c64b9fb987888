"""The ``health.*`` checks, computed from what the probes saw (``project.health``), never from disk.

``project.health`` is a ``HealthFacts`` whose ``endpoints`` is a list of dicts, one per registered
endpoint, filled by the web app from its stored probe results. The keys read here (all optional
except ``url``):

- ``url``: the endpoint's address, ``http://`` or ``https://``; it is the evidence's ``file``.
- ``kind``: ``"liveness"``, ``"readiness"`` or ``"other"`` (default ``"other"``).
- ``latest``: the latest probe, or None before the first one:
    - ``ok``: whether it answered at all (no timeout, no connection or TLS error);
    - ``status_code``: the HTTP status, or None;
    - ``latency_ms``: time to the response, or None;
    - ``error``: why it did not answer, or None;
    - ``headers``: ``{lower-case name: value}`` of the response;
    - ``json``: the parsed body when it was JSON, else None;
    - ``tls``: ``{"verified": bool, "days_left": int}`` for https, else None.
- ``p95_24h_ms``: the 95th percentile latency of the last 24 hours, or None without probes.
- ``latency_threshold_ms``: the p95 threshold of ``health.liveness_fast`` (default 100).
- ``uptime_7d``: the share of successful probes over the last 7 days, 0..1, or None.
- ``uptime_threshold``: the share ``health.uptime`` requires (default 0.999).

Every check is ``na`` when there are no health facts (the CLI passes none) or no endpoint it
applies to; with several endpoints the worst status wins and each endpoint is evidence.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ..model import STATUS_SEVERITY_ORDER, CheckResult, Evidence, Status
from ..registry import check

DEFAULT_THRESHOLDS = {"latency_threshold_ms": 100, "uptime_threshold": 0.999}
MIN_CERT_DAYS_LEFT = 14

# Keys of a health JSON that name one dependency, or hold a collection of them.
DEPENDENCY_KEYS = {
    "database",
    "databases",
    "db",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "cache",
    "queue",
    "broker",
    "celery",
    "rabbitmq",
    "kafka",
    "elasticsearch",
    "storage",
}
DEPENDENCY_COLLECTION_KEYS = {"dependencies", "checks", "services", "components", "details"}
STATE_KEYS = {"status", "state", "ok", "healthy", "up", "available"}
VERSION_KEYS = {
    "version",
    "app_version",
    "build",
    "commit",
    "git_sha",
    "git_commit",
    "sha",
    "revision",
    "release",
}
VERSION_CONTAINER_KEYS = {"app", "application", "build", "info", "meta", "git"}
# A version-looking token in a Server header: "gunicorn/23.0", "nginx/1.27.1", "Apache 2.4".
SERVER_VERSION = re.compile(r"[/ ]v?\d+(\.\d+)*")
VERSION_REVEALING_HEADERS = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version")


def _number(value) -> float | None:
    """A figure from the facts, or None when it is missing or not a number."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _endpoints(project, *kinds: str) -> list[dict]:
    if project.health is None:
        return []
    endpoints = [e for e in project.health.endpoints if isinstance(e, dict) and isinstance(e.get("url"), str)]
    if kinds:
        endpoints = [e for e in endpoints if e.get("kind", "other") in kinds]
    return endpoints


def _probed(endpoints: list[dict]) -> list[tuple[dict, dict]]:
    """(endpoint, latest probe) for endpoints probed at least once."""
    return [(e, e["latest"]) for e in endpoints if isinstance(e.get("latest"), dict)]


def _result(check_id: str, findings: list[tuple[Status, Evidence]]) -> CheckResult:
    """Worst status of the per-endpoint findings, each finding as evidence; ``na`` without any."""
    if not findings:
        return CheckResult(check_id, Status.NA)
    worst = min((status for status, _ in findings), key=STATUS_SEVERITY_ORDER.index)
    return CheckResult(check_id, worst, [evidence for _, evidence in findings])


def _passes_if_one_does(findings: list[tuple[Status, Evidence]]) -> list[tuple[Status, Evidence]]:
    """For checks one endpoint can satisfy: the passing findings if there are any, else all."""
    passing = [finding for finding in findings if finding[0] is Status.PASS]
    return passing or findings


def _measured(endpoints: list[dict], key: str, threshold_key: str):
    """(endpoint, figure, threshold) for each endpoint whose ``key`` holds a figure."""
    for endpoint in endpoints:
        figure = _number(endpoint.get(key))
        if figure is not None:
            yield endpoint, figure, _number(endpoint.get(threshold_key)) or DEFAULT_THRESHOLDS[threshold_key]


def _answered_2xx(latest: dict) -> bool:
    code = latest.get("status_code")
    return bool(latest.get("ok")) and isinstance(code, int) and 200 <= code < 300


def _up_findings(endpoints: list[dict]) -> list[tuple[Status, Evidence]]:
    findings = []
    for endpoint, latest in _probed(endpoints):
        url = endpoint["url"]
        if _answered_2xx(latest):
            findings.append((Status.PASS, Evidence(url, None, f"answered {latest['status_code']}")))
        elif latest.get("status_code") is not None:
            findings.append((Status.FAIL, Evidence(url, None, f"answered {latest['status_code']}")))
        else:
            why = latest.get("error") or "no response"
            findings.append((Status.FAIL, Evidence(url, None, f"did not answer: {why}")))
    return findings


@check(
    "health.liveness_up",
    title="Liveness endpoint answers 2xx",
    category="reliability",
    severity="high",
    sources=("000", "002", "003"),
    remediation="Make the liveness endpoint (e.g. /health) answer 200 while the process can serve, "
    "and check why its latest probe failed.",
)
def liveness_up(project) -> CheckResult:
    """The liveness endpoint answered 2xx on its latest probe."""
    return _result("health.liveness_up", _up_findings(_endpoints(project, "liveness")))


@check(
    "health.liveness_fast",
    title="Liveness endpoint is fast",
    category="performance",
    severity="medium",
    sources=("003",),
    remediation="Keep the liveness handler cheap: no database or remote calls; those belong in "
    "the readiness endpoint.",
)
def liveness_fast(project) -> CheckResult:
    """The liveness endpoint's p95 latency over the last 24 h is under 100 ms (threshold per endpoint)."""
    findings = []
    measured = _measured(_endpoints(project, "liveness"), "p95_24h_ms", "latency_threshold_ms")
    for endpoint, p95, threshold in measured:
        message = f"p95 latency over 24 h is {p95:g} ms (threshold {threshold:g} ms)"
        findings.append(
            (Status.PASS if p95 < threshold else Status.FAIL, Evidence(endpoint["url"], None, message))
        )
    return _result("health.liveness_fast", findings)


@check(
    "health.readiness_up",
    title="Readiness endpoint answers 2xx",
    category="reliability",
    severity="high",
    sources=("003",),
    remediation="Make the readiness endpoint answer 200 when every dependency it needs is "
    "reachable, and check which dependency its latest probe reported down.",
)
def readiness_up(project) -> CheckResult:
    """The readiness endpoint answered 2xx on its latest probe."""
    return _result("health.readiness_up", _up_findings(_endpoints(project, "readiness")))


def _is_state(value) -> bool:
    """A dependency's state: a bool, a word ("up", "ok"), or an object with a status-like key."""
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(key.lower() in STATE_KEYS for key in value if isinstance(key, str))
    return False


def reports_dependencies(body) -> bool:
    """Whether a readiness JSON body names its dependencies with a state each (public: the endpoints
    page cross-checks with the same rule)."""
    if not isinstance(body, dict):
        return False
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        name = key.lower()
        if name in DEPENDENCY_KEYS and _is_state(value):
            return True
        if name in DEPENDENCY_COLLECTION_KEYS:
            members = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
            if any(_is_state(member) for member in members):
                return True
    return False


@check(
    "health.readiness_reports_dependencies",
    title="Readiness reports its dependencies",
    category="operations",
    severity="medium",
    sources=("001", "003"),
    remediation='Answer JSON naming each dependency and its state, e.g. {"status": "ok", '
    '"checks": {"database": "ok", "redis": "ok"}}, so a failing probe says what is down.',
)
def readiness_reports_dependencies(project) -> CheckResult:
    """The readiness (or health) JSON reports the state of its dependencies (database, cache, queue...):
    a key such as database, db, redis, cache, queue or broker whose value is a state (a bool, a word,
    or an object with status/state/ok/healthy), or states inside dependencies/checks/services/
    components/details. Readiness endpoints are read where there are any, else every endpoint."""
    endpoints = _endpoints(project, "readiness") or _endpoints(project)
    findings = []
    for endpoint, latest in _probed(endpoints):
        body = latest.get("json")
        if reports_dependencies(body):
            findings.append((Status.PASS, Evidence(endpoint["url"], None, "reports dependency states")))
        elif body is None:
            findings.append((Status.FAIL, Evidence(endpoint["url"], None, "does not answer JSON")))
        else:
            message = "JSON names no dependency (database, cache, queue...) with a state"
            findings.append((Status.FAIL, Evidence(endpoint["url"], None, message)))
    # One endpoint that reports its dependencies is enough: the others may be plain liveness.
    return _result("health.readiness_reports_dependencies", _passes_if_one_does(findings))


def _version_in(body) -> str | None:
    if not isinstance(body, dict):
        return None
    nested = []
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        if key.lower() in VERSION_KEYS and isinstance(value, str | int | float) and str(value).strip():
            return str(value)
        if key.lower() in VERSION_CONTAINER_KEYS and isinstance(value, dict):
            nested.append(value)
    for value in nested:
        found = _version_in({k: v for k, v in value.items() if not isinstance(v, dict)})
        if found:
            return found
    return None


@check(
    "health.version_reported",
    title="Health JSON reports a version",
    category="operations",
    severity="low",
    sources=("001", "002"),
    remediation='Include the deployed version or commit in the health JSON, e.g. {"version": '
    '"1.4.2", "commit": "3f2a9c1"}, so you can tell which build answers.',
)
def version_reported(project) -> CheckResult:
    """The health JSON includes a version (version, commit, revision, release, build... at the top
    level or inside app/build/info/meta/git); one endpoint that does is enough."""
    findings = []
    for endpoint, latest in _probed(_endpoints(project)):
        version = _version_in(latest.get("json"))
        if version:
            findings.append((Status.PASS, Evidence(endpoint["url"], None, f"reports version {version}")))
        else:
            findings.append((Status.FAIL, Evidence(endpoint["url"], None, "JSON body reports no version")))
    return _result("health.version_reported", _passes_if_one_does(findings))


@check(
    "health.uptime",
    title="Uptime over 7 days",
    category="reliability",
    severity="high",
    sources=("001",),
    remediation="Find what made probes fail this week (restarts, deploys without a rolling update, "
    "overload) and fix its cause; restart policies and health checks help the platform recover.",
)
def uptime(project) -> CheckResult:
    """At least 99.9% of probes in the last 7 days succeeded (threshold configurable per endpoint)."""
    findings = []
    for endpoint, share, threshold in _measured(_endpoints(project), "uptime_7d", "uptime_threshold"):
        message = f"{share:.3%} of probes succeeded over 7 days (threshold {threshold:.3%})"
        findings.append(
            (Status.PASS if share >= threshold else Status.FAIL, Evidence(endpoint["url"], None, message))
        )
    return _result("health.uptime", findings)


def _is_local_host(host: str) -> bool:
    """Loopback, private or link-local addresses, localhost, and single-label names (a compose
    service such as ``web``): plain http to these never crosses a public network."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith((".localhost", ".local", ".internal")) or "." not in host
    return address.is_loopback or address.is_private or address.is_link_local


def _tls_finding(endpoint: dict) -> tuple[Status, Evidence] | None:
    url = endpoint["url"]
    parts = urlsplit(url)
    if parts.scheme == "http":
        if _is_local_host(parts.hostname or ""):
            return None
        return Status.FAIL, Evidence(url, None, "served over plain http on a non-local host")
    latest = endpoint.get("latest")
    tls = latest.get("tls") if isinstance(latest, dict) else None
    if parts.scheme != "https" or not isinstance(tls, dict):
        return None
    if not tls.get("verified"):
        return Status.FAIL, Evidence(url, None, "certificate does not verify")
    days_left = _number(tls.get("days_left"))
    if days_left is None:
        return None
    if days_left < MIN_CERT_DAYS_LEFT:
        return Status.FAIL, Evidence(url, None, f"certificate expires in {days_left:g} days")
    return Status.PASS, Evidence(url, None, f"certificate verifies, valid for {days_left:g} more days")


@check(
    "health.tls_valid",
    title="TLS certificate valid",
    category="security",
    severity="high",
    sources=("001",),
    remediation="Serve the endpoint over https with a certificate from a trusted CA and renew it "
    "automatically (e.g. ACME/Let's Encrypt) well before it expires.",
)
def tls_valid(project) -> CheckResult:
    """Https endpoints present a certificate that verifies and is valid for at least 14 more days;
    plain http on a non-local host fails (loopback, private addresses, localhost and single-label
    names are local)."""
    findings = [f for f in map(_tls_finding, _endpoints(project)) if f is not None]
    return _result("health.tls_valid", findings)


def _headers(latest: dict) -> dict | None:
    headers = latest.get("headers")
    if not isinstance(headers, dict):
        return None
    return {str(k).lower(): str(v) for k, v in headers.items()}


@check(
    "health.server_header_hidden",
    title="Server software versions hidden",
    category="security",
    severity="medium",
    sources=("001",),
    remediation="Hide versions: nginx `server_tokens off;`, gunicorn behind a proxy that drops "
    "`Server`, and remove `X-Powered-By` (e.g. Express `app.disable('x-powered-by')`).",
)
def server_header_hidden(project) -> CheckResult:
    """Responses do not reveal server software versions: a ``Server`` header with a version
    (``gunicorn/23.0``) or any ``X-Powered-By`` (or ``X-AspNet-Version``) header fails."""
    findings = []
    for endpoint, latest in _probed(_endpoints(project)):
        headers = _headers(latest)
        if headers is None:
            continue
        url = endpoint["url"]
        revealing = [f"{name}: {headers[name]}" for name in VERSION_REVEALING_HEADERS if name in headers]
        server = headers.get("server", "")
        if SERVER_VERSION.search(server):
            revealing.insert(0, f"server: {server}")
        if revealing:
            findings.append((Status.FAIL, Evidence(url, None, "reveals " + "; ".join(revealing))))
        else:
            findings.append((Status.PASS, Evidence(url, None, "no server version revealed")))
    return _result("health.server_header_hidden", findings)


@check(
    "health.security_headers",
    title="Security headers on https",
    category="security",
    severity="medium",
    sources=("001",),
    remediation="Send `Strict-Transport-Security: max-age=31536000` and "
    "`X-Content-Type-Options: nosniff` on every https response (Django: SECURE_HSTS_SECONDS, "
    "SECURE_CONTENT_TYPE_NOSNIFF).",
)
def security_headers(project) -> CheckResult:
    """Https responses carry ``Strict-Transport-Security`` and ``X-Content-Type-Options: nosniff``."""
    findings = []
    for endpoint, latest in _probed(_endpoints(project)):
        headers = _headers(latest)
        if urlsplit(endpoint["url"]).scheme != "https" or headers is None:
            continue
        missing = []
        if not headers.get("strict-transport-security", "").strip():
            missing.append("Strict-Transport-Security")
        if headers.get("x-content-type-options", "").strip().lower() != "nosniff":
            missing.append("X-Content-Type-Options: nosniff")
        url = endpoint["url"]
        if missing:
            findings.append((Status.FAIL, Evidence(url, None, "missing " + ", ".join(missing))))
        else:
            findings.append((Status.PASS, Evidence(url, None, "HSTS and nosniff present")))
    return _result("health.security_headers", findings)
