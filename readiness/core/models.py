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
        from django.core.exceptions import ValidationError

        from readiness.probes.guard import AllowRule

        try:
            AllowRule(target=self.target, port=self.port)
        except ValueError as exc:
            raise ValidationError({"target": str(exc)}) from None
