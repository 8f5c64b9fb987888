"""Registered health endpoints, their raw probe records, hourly rollups and incidents.

Raw records are kept 48 hours and rolled up hourly for 90 days (services.probes_cleanup), so
7-day uptime reads about 170 rollup rows and 24-hour p95 reads one day of raw rows per endpoint.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from readiness.repos.models import Repository

MIN_INTERVAL_S = 15
MAX_TIMEOUT_S = 30
DEFAULT_LATENCY_THRESHOLD_MS = {"liveness": 100, "readiness": 5000, "other": 1000}


def any_2xx() -> str:
    return "2xx"


class Kind(models.TextChoices):
    LIVENESS = "liveness", "Liveness"
    READINESS = "readiness", "Readiness"
    OTHER = "other", "Other"


class State(models.TextChoices):
    UNKNOWN = "unknown", "Not probed yet"
    UP = "up", "Up"
    DOWN = "down", "Down"


class Endpoint(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="endpoints")
    # Optional: which service of the repository (a compose service name) answers here.
    service = models.CharField(max_length=100, blank=True, default="")
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=2000)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.LIVENESS)
    interval_s = models.PositiveIntegerField(default=60, validators=[MinValueValidator(MIN_INTERVAL_S)])
    timeout_s = models.FloatField(
        default=5.0, validators=[MinValueValidator(0.5), MaxValueValidator(MAX_TIMEOUT_S)]
    )
    # "2xx" (any 2xx status) or a list of status codes, e.g. [200, 204].
    expected_status = models.JSONField(default=any_2xx)
    latency_threshold_ms = models.PositiveIntegerField(default=100)
    # {"equals": {"dotted.path": value}, "required_keys": ["database", ...]}; see probes/prober.py.
    expectations = models.JSONField(default=dict, blank=True)
    # Fernet ciphertext of a JSON object {name: value} (readiness/core/crypto.py); never shown back.
    headers_encrypted = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    # The beat tick dispatches endpoints whose next_probe_at has passed and pushes it forward.
    next_probe_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.UNKNOWN)
    state_since = models.DateTimeField(null=True, blank=True)
    last_probe_at = models.DateTimeField(null=True, blank=True)
    # Of the latest probe only, for the health.* checks and the liveness/readiness cross-check.
    last_json = models.JSONField(null=True, blank=True)
    last_body_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["repository", "kind", "name"]
        indexes = [
            # What the beat tick scans every few seconds: only enabled endpoints, by due time.
            models.Index(fields=["next_probe_at"], name="endpoint_due", condition=Q(enabled=True)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["repository", "name"], name="endpoint_name_unique_in_repository"),
            models.CheckConstraint(condition=Q(interval_s__gte=MIN_INTERVAL_S), name="endpoint_interval_min"),
        ]

    def __str__(self):
        return f"{self.name} ({self.url})"

    @property
    def expected_status_text(self) -> str:
        if isinstance(self.expected_status, list):
            return ", ".join(str(code) for code in self.expected_status)
        return "2xx"


class ProbeRecord(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="probes")
    at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    # dns, connect, tls, timeout, status, body, blocked, or config (a row we could not probe).
    error_class = models.CharField(max_length=16, blank=True, default="")
    error = models.TextField(blank=True, default="")
    tls_days_left = models.IntegerField(null=True, blank=True)
    tls_verified = models.BooleanField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    expectations_held = models.BooleanField(null=True, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    json_keys = models.JSONField(null=True, blank=True)  # top-level keys when the body was a JSON object

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["endpoint", "at"]), models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.endpoint_id} @ {self.at:%Y-%m-%d %H:%M:%S}: {'ok' if self.ok else self.error_class}"


class HourlyRollup(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="rollups")
    hour = models.DateTimeField()  # the start of the hour, UTC
    count = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    # Latency of the probes that got an answer; None when none did.
    p50_ms = models.FloatField(null=True, blank=True)
    p95_ms = models.FloatField(null=True, blank=True)
    max_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["endpoint", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "hour"], name="one_rollup_per_endpoint_hour")
        ]
        indexes = [models.Index(fields=["hour"])]

    def __str__(self):
        return f"{self.endpoint_id} @ {self.hour:%Y-%m-%d %H}:00: {self.failures}/{self.count} failed"


class Incident(models.Model):
    """A period during which an endpoint was down: opened by an up→down change, closed by down→up."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="incidents")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    error_class = models.CharField(max_length=16, blank=True, default="")
    cause = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["endpoint", "-started_at"]), models.Index(fields=["started_at"])]
        constraints = [
            # At most one open incident per endpoint.
            models.UniqueConstraint(
                fields=["endpoint"], condition=Q(ended_at__isnull=True), name="one_open_incident_per_endpoint"
            )
        ]

    def __str__(self):
        return f"{self.endpoint_id} down from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_s(self) -> float | None:
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else None
