"""Write logic for health endpoints: registration (guarded), dispatch, probing, rollups, cleanup."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from readiness.core.crypto import DecryptionError, decrypt, encrypt
from readiness.core.egress import address_policy
from readiness.core.metrics import observe_probe
from readiness.core.outbox import outbox_commit_point, outbox_enqueue
from readiness.endpoints.models import (
    DEFAULT_LATENCY_THRESHOLD_MS,
    MAX_TIMEOUT_S,
    MIN_INTERVAL_S,
    Endpoint,
    HourlyRollup,
    Incident,
    ProbeRecord,
    State,
)
from readiness.probes.guard import BlockedAddress, UnresolvableHost, judge_url
from readiness.probes.prober import EndpointSpec, ProbeResult, probe_batch_sync
from readiness.teams.activity import activity_record

logger = logging.getLogger(__name__)

BATCH_SIZE = 200  # endpoints per probes.run_batch task
MAX_DISPATCH_PER_TICK = 10_000  # a backlog drains over a few ticks instead of one huge transaction
PROBE_CONCURRENCY = 100
RAW_RETENTION = timedelta(hours=48)
ROLLUP_RETENTION = timedelta(days=90)
INCIDENT_RETENTION = timedelta(days=90)
# Every endpoint is a request from our network each interval: a cap keeps one repository from
# turning Readiness into a request generator aimed at someone else's server.
MAX_ENDPOINTS_PER_REPOSITORY = 50
ROLLUP_HOURS_BACK = 3  # each rollup tick redoes the last complete hours (late records, beat restarts)

EDITABLE_FIELDS = (
    "name",
    "service",
    "url",
    "kind",
    "interval_s",
    "timeout_s",
    "expected_status",
    "latency_threshold_ms",
    "expectations",
    "enabled",
)


# --- registration -------------------------------------------------------------------------------


def endpoint_url_check(url: str) -> None:
    """Refuse a URL the SSRF guard refuses, with the guard's reason. Checked again at every probe."""
    try:
        judge_url(url, address_policy())
    except BlockedAddress as exc:
        raise ValidationError({"url": str(exc)}) from None
    except UnresolvableHost as exc:
        raise ValidationError({"url": f"{exc}; check the host name"}) from None


def _validate(endpoint: Endpoint, headers: dict[str, str] | None) -> None:
    errors = {}
    if endpoint.interval_s < MIN_INTERVAL_S:
        errors["interval_s"] = f"The interval must be at least {MIN_INTERVAL_S} seconds."
    if not 0 < endpoint.timeout_s <= MAX_TIMEOUT_S:
        errors["timeout_s"] = f"The timeout must be more than 0 and at most {MAX_TIMEOUT_S} seconds."
    elif endpoint.timeout_s >= endpoint.interval_s:
        errors["timeout_s"] = "The timeout must be shorter than the interval."
    if (
        Endpoint.objects.filter(repository=endpoint.repository, name=endpoint.name)
        .exclude(pk=endpoint.pk)
        .exists()
    ):
        errors["name"] = "This repository already has an endpoint with that name."
    try:  # the prober's own checks: expectation keys, header names and values
        EndpointSpec(
            id=None,
            url=endpoint.url,
            timeout_s=max(endpoint.timeout_s, 0.1),
            expectations=endpoint.expectations or None,
            headers=headers or {},
        )
    except ValueError as exc:
        errors["__all__"] = str(exc)
    if errors:
        raise ValidationError(errors)
    endpoint_url_check(endpoint.url)


def _headers_ciphertext(headers: dict[str, str] | None) -> str:
    return encrypt(json.dumps(headers)) if headers else ""


def endpoint_register(
    *,
    repository,
    name: str,
    url: str,
    kind: str = "liveness",
    service: str = "",
    interval_s: int = 60,
    timeout_s: float = 5.0,
    expected_status="2xx",
    latency_threshold_ms: int | None = None,
    expectations: dict | None = None,
    headers: dict[str, str] | None = None,
    enabled: bool = True,
    actor=None,
) -> Endpoint:
    """Register an endpoint; ValidationError (with the guard's reason for a refused URL) otherwise."""
    if Endpoint.objects.filter(repository=repository).count() >= MAX_ENDPOINTS_PER_REPOSITORY:
        raise ValidationError(f"A repository can have at most {MAX_ENDPOINTS_PER_REPOSITORY} endpoints.")
    endpoint = Endpoint(
        repository=repository,
        name=name.strip(),
        service=service.strip(),
        url=url.strip(),
        kind=kind,
        interval_s=interval_s,
        timeout_s=timeout_s,
        expected_status=expected_status,
        latency_threshold_ms=latency_threshold_ms or DEFAULT_LATENCY_THRESHOLD_MS.get(kind, 1000),
        expectations=expectations or {},
        enabled=enabled,
        next_probe_at=timezone.now(),  # the next beat tick probes it
    )
    _validate(endpoint, headers)
    endpoint.headers_encrypted = _headers_ciphertext(headers)
    endpoint.save()
    _audit(endpoint, actor, "endpoint.added", url=endpoint.url, kind=endpoint.kind)
    return endpoint


def _audit(endpoint: Endpoint, actor, verb: str, **extra) -> None:
    activity_record(
        team=endpoint.repository.team,
        actor=actor,
        verb=verb,
        target=f"{endpoint.repository.name}: {endpoint.name}",
        obj=endpoint,
        **extra,
    )


def endpoint_update(
    *, endpoint: Endpoint, headers: dict[str, str] | None = None, clear_headers=False, actor=None, **fields
):
    """Change an endpoint's settings. ``headers`` None keeps the stored ones (they are never shown
    back); ``clear_headers`` removes them."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    url_changed = "url" in fields and fields["url"].strip() != endpoint.url
    disabled = endpoint.enabled and fields.get("enabled") is False
    if "latency_threshold_ms" in fields and not fields["latency_threshold_ms"]:  # empty: the kind's default
        kind = fields.get("kind", endpoint.kind)
        fields["latency_threshold_ms"] = DEFAULT_LATENCY_THRESHOLD_MS.get(kind, 1000)
    changes = {}
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        changes[name] = (getattr(endpoint, name), value)
        setattr(endpoint, name, value)
    if clear_headers and endpoint.headers_encrypted:
        changes["headers"] = ("set", "removed")
    elif headers is not None:
        changes["headers"] = ("set" if endpoint.headers_encrypted else "none", "replaced")
    current_headers = headers
    if current_headers is None and not clear_headers:
        current_headers = _stored_headers(endpoint)
    _validate(endpoint, current_headers)
    if clear_headers:
        endpoint.headers_encrypted = ""
    elif headers is not None:
        endpoint.headers_encrypted = _headers_ciphertext(headers)
    with transaction.atomic():
        if url_changed or disabled:
            # A different target, or no more probes: the old state no longer describes it, and an
            # incident left open would stay "ongoing" for ever.
            endpoint.state, endpoint.state_since = State.UNKNOWN, None
            endpoint.last_json, endpoint.last_body_sha256 = None, ""
            Incident.objects.filter(endpoint=endpoint, ended_at__isnull=True).update(ended_at=timezone.now())
        endpoint.next_probe_at = timezone.now()
        endpoint.save()
        if any(old != new for old, new in changes.values()):
            _audit(endpoint, actor, "endpoint.changed", changes=changes)
    return endpoint


def endpoint_delete(*, endpoint: Endpoint, actor=None) -> None:
    _audit(endpoint, actor, "endpoint.deleted", url=endpoint.url)
    endpoint.delete()


def _stored_headers(endpoint: Endpoint) -> dict[str, str]:
    if not endpoint.headers_encrypted:
        return {}
    value = json.loads(decrypt(endpoint.headers_encrypted))
    return value if isinstance(value, dict) else {}


# --- dispatch -----------------------------------------------------------------------------------


def _enqueue_batch(batch: list[int], now: datetime) -> None:
    """A batch's outbox row (readiness/core/outbox.py), in the dispatch's transaction: a batch whose
    message is lost or whose worker dies is published again, and probed once."""
    key = f"probe-batch:{now.isoformat()}:{batch[0]}"
    outbox_enqueue(task="probes.run_batch", args=[batch], dedup_key=key)


def probes_dispatch_due(*, now: datetime | None = None, enqueue=None) -> list[int]:
    """Claim the endpoints whose probe is due and record their batches; returns the ids.

    Due rows are locked with SKIP LOCKED and their next_probe_at pushed forward in the same
    transaction as the batches' outbox rows, so two ticks (or two beats by mistake) never dispatch
    an endpoint twice, and a dispatched batch is never lost. The next probe is due ``interval_s``
    after now, not after the missed due time: a stalled beat resumes at the normal rate rather than
    firing a catch-up burst. ``enqueue`` (tests) replaces the outbox with a callable run on commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Endpoint.objects.select_for_update(skip_locked=True, of=("self",))
            # An archived repository's endpoints rest until it is restored.
            .filter(enabled=True, next_probe_at__lte=now, repository__archived_at__isnull=True)
            .order_by("next_probe_at")
            .values_list("pk", "interval_s")[:MAX_DISPATCH_PER_TICK]
        )
        by_interval: dict[int, list[int]] = defaultdict(list)
        for pk, interval_s in due:
            by_interval[interval_s].append(pk)
        for interval_s, ids in by_interval.items():  # one UPDATE per distinct interval: a handful
            Endpoint.objects.filter(pk__in=ids).update(next_probe_at=now + timedelta(seconds=interval_s))
        ids = [pk for pk, _ in due]
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            if enqueue is None:
                _enqueue_batch(batch, now)
            else:
                transaction.on_commit(lambda batch=batch: enqueue(batch))
    return ids


# --- probing ------------------------------------------------------------------------------------


def _spec(endpoint: Endpoint) -> EndpointSpec:
    """The prober's view of a row; ValueError or DecryptionError when the row cannot be probed."""
    return EndpointSpec(
        id=endpoint.pk,
        url=endpoint.url,
        timeout_s=endpoint.timeout_s,
        expected_status=endpoint.expected_status if isinstance(endpoint.expected_status, list) else None,
        latency_threshold_ms=endpoint.latency_threshold_ms,
        expectations=endpoint.expectations or None,
        headers=_stored_headers(endpoint),
    )


def _storable(value):
    """``value`` if PostgreSQL's jsonb can hold it, else None: jsonb refuses the NUL character and
    infinities (``1e400`` parses as one), and one hostile body must not fail the batch's insert."""
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        return None
    return None if "\\u0000" in text else value


def _text(message: str | None) -> str:
    """An error message as a text column takes it: bounded, and without NUL, which PostgreSQL refuses."""
    return (message or "")[:2000].replace("\x00", "")


def _record(endpoint_id: int, result: ProbeResult) -> ProbeRecord:
    body = _storable(result.body_json)
    return ProbeRecord(
        endpoint_id=endpoint_id,
        at=result.started_at,
        ok=result.ok,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error_class=result.error_class or "",
        error=_text(result.error),
        tls_days_left=result.tls_days_left,
        tls_verified=result.tls_verified,
        headers=_storable(result.headers) or {},
        expectations_held=result.expectations_held,
        body_sha256=result.body_sha256 or "",
        json_keys=sorted(body)[:100] if isinstance(body, dict) else None,
    )


def probes_run_batch(*, endpoint_ids: list[int]) -> list[ProbeRecord]:
    """Probe the endpoints concurrently, store one record each, update states and incidents."""
    # The latest JSON body can be 64 KiB per row and is not needed to probe.
    endpoints = {
        e.pk: e for e in Endpoint.objects.filter(pk__in=endpoint_ids, enabled=True).defer("last_json")
    }
    specs, results = [], []
    for endpoint in endpoints.values():
        try:
            specs.append(_spec(endpoint))
        except (ValueError, DecryptionError, json.JSONDecodeError) as exc:
            # One bad row (say, a header key dropped too early) must not sink the whole batch.
            results.append(
                ProbeResult(endpoint.pk, timezone.now(), ok=False, error_class="config", error=str(exc))
            )
    if specs:
        # The policy is read now, so a new allow rule or a removed one applies at the next probe.
        results += probe_batch_sync(specs, policy=address_policy(), concurrency=PROBE_CONCURRENCY)
    records = [_record(r.endpoint_id, r) for r in results]
    with transaction.atomic():  # records and states together: a reader never sees one without the other
        # The batch's outbox row is marked done in this transaction: recorded once, or not at all.
        if not outbox_commit_point():
            logger.warning("probe batch taken over by another worker; its results are dropped")
            return []
        ProbeRecord.objects.bulk_create(records, batch_size=500)
        _apply_states(results)
    for result in results:
        observe_probe(ok=result.ok, error_class=result.error_class, latency_ms=result.latency_ms)
    # Routine; an endpoint going down or coming back is logged at INFO by _apply_states.
    logger.debug("probed %d endpoints, %d up", len(records), sum(1 for r in records if r.ok))
    return records


def _apply_states(results: list[ProbeResult]) -> None:
    """Endpoint state follows its latest probe; up/unknown→down opens an incident, down→up closes it."""
    if not results:
        return
    latest = {r.endpoint_id: r for r in results}
    with transaction.atomic():
        # Locked in id order (no deadlock with another batch); a probe-now racing the beat's batch
        # for the same endpoint is serialised here and the older result never wins.
        rows = list(
            Endpoint.objects.select_for_update()
            .filter(pk__in=latest)
            .only("pk", "state", "last_probe_at", "last_body_sha256")
            .order_by("pk")
        )
        probed, changed_state, changed_body = [], [], []
        opened, closing = [], {}
        for endpoint in rows:
            result = latest[endpoint.pk]
            if endpoint.last_probe_at and result.started_at < endpoint.last_probe_at:
                continue
            new_state = State.UP if result.ok else State.DOWN
            if new_state != endpoint.state:
                if new_state == State.DOWN:
                    opened.append(
                        Incident(
                            endpoint_id=endpoint.pk,
                            started_at=result.started_at,
                            error_class=result.error_class or "",
                            cause=_text(result.error),
                        )
                    )
                elif endpoint.state == State.DOWN:
                    closing[endpoint.pk] = result.started_at
                endpoint.state, endpoint.state_since = new_state, result.started_at
                changed_state.append(endpoint)
            probed.append(endpoint)
            sha = result.body_sha256 or ""
            if sha != endpoint.last_body_sha256:
                endpoint.last_json = _storable(result.body_json) if result.status_code is not None else None
                endpoint.last_body_sha256 = sha
                changed_body.append(endpoint)
        # last_probe_at only orders results (an older one never overwrites a newer state): one
        # UPDATE to the batch's earliest start is exact enough and ~10x cheaper than a per-row CASE.
        # The other two change only on transitions, so their bulk_update stays small.
        if probed:
            batch_start = min(latest[e.pk].started_at for e in probed)
            Endpoint.objects.filter(pk__in=[e.pk for e in probed]).update(last_probe_at=batch_start)
        Endpoint.objects.bulk_update(changed_state, ["state", "state_since"], batch_size=100)
        Endpoint.objects.bulk_update(changed_body, ["last_json", "last_body_sha256"], batch_size=100)
        for endpoint_id, ended_at in closing.items():  # transitions are rare: one query each is fine
            Incident.objects.filter(endpoint_id=endpoint_id, ended_at__isnull=True).update(ended_at=ended_at)
        if opened:
            # One left open (say, the URL changed while down) is closed: never two open at once.
            Incident.objects.filter(
                endpoint__in=[i.endpoint_id for i in opened], ended_at__isnull=True
            ).update(ended_at=timezone.now())
            Incident.objects.bulk_create(opened)
    for endpoint in changed_state:
        result = latest[endpoint.pk]
        if endpoint.state == State.DOWN:
            logger.info("endpoint %s is down: %s", endpoint.pk, result.error_class or result.status_code)
        elif endpoint.pk in closing:
            logger.info("endpoint %s is up again", endpoint.pk)


def endpoint_probe_now(*, endpoint: Endpoint) -> ProbeRecord | None:
    """Probe one endpoint in this process (the "probe now" button); its schedule is unchanged."""
    records = probes_run_batch(endpoint_ids=[endpoint.pk])
    return records[0] if records else None


# --- rollups and cleanup ------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont, numpy's default)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def rollup_hour(*, hour: datetime) -> int:
    """Count, failures, p50, p95 and max latency of every endpoint's probes in one hour. Idempotent:
    running it again replaces the rows (late records are included). Returns the rows written."""
    hour = hour.replace(minute=0, second=0, microsecond=0)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    latencies: dict[int, list[float]] = defaultdict(list)
    # order_by(): no sort of the whole hour by Meta.ordering; the order does not matter here.
    rows = (
        ProbeRecord.objects.filter(at__gte=hour, at__lt=hour + timedelta(hours=1))
        .order_by()
        .values_list("endpoint_id", "ok", "latency_ms")
    )
    for endpoint_id, ok, latency_ms in rows.iterator(chunk_size=5000):
        counts[endpoint_id][0] += 1
        counts[endpoint_id][1] += 0 if ok else 1
        if latency_ms is not None:
            latencies[endpoint_id].append(latency_ms)
    rollups = []
    for endpoint_id, (count, failures) in counts.items():
        values = sorted(latencies[endpoint_id])
        rollups.append(
            HourlyRollup(
                endpoint_id=endpoint_id,
                hour=hour,
                count=count,
                failures=failures,
                p50_ms=percentile(values, 0.5),
                p95_ms=percentile(values, 0.95),
                max_ms=values[-1] if values else None,
            )
        )
    HourlyRollup.objects.bulk_create(
        rollups,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["endpoint", "hour"],
        update_fields=["count", "failures", "p50_ms", "p95_ms", "max_ms"],
    )
    return len(rollups)


def rollups_refresh(*, now: datetime | None = None) -> int:
    """Roll up the last few complete hours (the beat entry): redoing them is cheap and picks up
    records stored after their hour ended, or hours missed while beat was down."""
    now = now or timezone.now()
    current = now.replace(minute=0, second=0, microsecond=0)
    return sum(rollup_hour(hour=current - timedelta(hours=n)) for n in range(1, ROLLUP_HOURS_BACK + 1))


def probes_cleanup(*, now: datetime | None = None) -> dict[str, int]:
    """Prune raw records older than 48 h, rollups and closed incidents older than 90 days."""
    now = now or timezone.now()
    # Roll up first, so an hour about to lose its raw records is never lost unrolled.
    rollups_refresh(now=now)
    raw, _ = ProbeRecord.objects.filter(at__lt=now - RAW_RETENTION).delete()
    rollups, _ = HourlyRollup.objects.filter(hour__lt=now - ROLLUP_RETENTION).delete()
    incidents, _ = Incident.objects.filter(ended_at__lt=now - INCIDENT_RETENTION).delete()
    return {"raw": raw, "rollups": rollups, "incidents": incidents}
