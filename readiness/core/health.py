"""Readiness of this process's own dependencies, for GET /ready."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

BROKER_TIMEOUT_S = 2


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def broker_state() -> str:
    from kombu import Connection

    try:
        url, options = settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS
        with Connection(url, transport_options=options, connect_timeout=BROKER_TIMEOUT_S) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def worker_state() -> str:
    from readiness.core.models import WorkerHeartbeat

    try:
        cutoff = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
        alive = WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).exists()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok" if alive else f"error: no worker heartbeat in the last {settings.WORKER_HEARTBEAT_MAX_AGE}s"


def readiness_report() -> tuple[bool, dict]:
    checks = {"database": database_state(), "broker": broker_state()}
    checks["worker"] = worker_state() if checks["database"] == "ok" else "unknown: database unavailable"
    ready = all(state == "ok" for state in checks.values())
    return ready, {"status": "ok" if ready else "unavailable", "version": settings.VERSION, "checks": checks}
