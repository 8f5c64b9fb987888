from django.core.exceptions import ValidationError
from django.db import models


class WorkerHeartbeat(models.Model):
    """Last sign of life of each Celery worker, written by the worker itself (see heartbeat.py)."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class AllowedNetwork(models.Model):
    """An administrator's exception to the outbound guard, to fetch from or probe internal hosts."""

    target = models.CharField(max_length=255, help_text="A CIDR (10.1.0.0/16), an address or a host name.")
    port = models.PositiveIntegerField(null=True, blank=True, help_text="Only this port; empty for any.")
    reason = models.CharField(max_length=255)
    added_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target"]

    def __str__(self):
        return f"{self.target}:{self.port}" if self.port else self.target

    def clean(self):
        from readiness.probes.guard import AllowRule  # here: the guard loads httpx, which models need not

        try:
            AllowRule(target=self.target, port=self.port)
        except ValueError as exc:
            raise ValidationError({"target": str(exc)}) from None


class OutboxState(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    CLAIMED = "claimed", "Being worked on"
    DONE = "done", "Done"


class OutboxMessage(models.Model):
    """A request for background work, written in the transaction that asked for it (a transactional
    outbox): the database, not the broker, is the truth about what still has to run. The broker
    message is a courier; readiness/core/outbox.py publishes it on commit and a relay publishes it
    again while nobody has claimed the row. See docs/architecture.md, "Background work"."""

    # One row per request: the caller names it ("analysis-run:42"), so asking twice is one request.
    dedup_key = models.CharField(max_length=255, unique=True)
    task = models.CharField(max_length=200)  # a Celery task name, e.g. "repos.analysis_run"
    args = models.JSONField(default=list)  # ids, never objects
    state = models.CharField(max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING)
    # Not to be claimed before this (a retry's backoff).
    available_at = models.DateTimeField()
    # When the relay publishes the row again if it is still unclaimed (or its claim's lease expired).
    relay_after = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    publishes = models.PositiveIntegerField(default=0)
    # Claims so far (a claim whose worker died counts): a task that kills its worker stops somewhere.
    attempts = models.PositiveIntegerField(default=0)
    # The live claim: who holds it, a token only that delivery knows, and until when (renewed).
    claimed_by = models.CharField(max_length=255, blank=True, default="")
    claim_token = models.CharField(max_length=32, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # What the relay scans every few seconds: the unfinished rows by when they are due.
            models.Index(fields=["relay_after"], name="outbox_relay_due", condition=~models.Q(state="done")),
            models.Index(fields=["done_at"], name="outbox_done_at", condition=models.Q(state="done")),
        ]

    def __str__(self):
        return f"{self.dedup_key} ({self.state})"
