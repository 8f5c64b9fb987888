from django.db import models


class WorkerHeartbeat(models.Model):
    """Last sign of life of each Celery worker, written by the worker itself (see heartbeat.py)."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
