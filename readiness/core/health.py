"""Readiness of this process's own dependencies, for GET /ready.

Every check runs in a thread of its own with a deadline (READY_TIMEOUT_S): a dependency that is
stopped refuses at once, but one that is frozen (SIGSTOP, a hung host, a full network buffer) would
hold the request until a TCP timeout. /ready answers within the deadline and names what did not
answer; the stuck thread ends by itself when the socket timeouts fire.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

READY_TIMEOUT_S = 1.5
BROKER_TIMEOUT_S = 1.5


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def broker_state() -> str:
    from kombu import Connection

    url, options = settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS
    # The embedded broker's fixed transport (readiness/core/fsbroker.py) when there is one.
    transport = getattr(settings, "CELERY_BROKER_TRANSPORT", None) if url.startswith("filesystem") else None
    try:
        with Connection(
            url, transport=transport, transport_options=options, connect_timeout=BROKER_TIMEOUT_S
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
            if conn.transport.driver_type == "redis":
                conn.default_channel.client.ping()  # a frozen Redis accepts TCP but never answers
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


def _database_and_worker() -> dict[str, str]:
    try:
        database = database_state()
        worker = worker_state() if database == "ok" else "unknown: database unavailable"
        return {"database": database, "worker": worker}
    finally:
        connection.close()  # this thread's own connection; the next check opens a fresh one


def _in_thread(fn, timeout: float):
    """fn() in a daemon thread; (True, result) or (False, None) when it did not return in time."""
    box: dict = {}

    def target():
        box["result"] = fn()

    thread = threading.Thread(target=target, daemon=True, name="ready-check")
    thread.start()
    thread.join(timeout)
    return ("result" in box), box.get("result")


def readiness_report(timeout: float = READY_TIMEOUT_S) -> tuple[bool, dict]:
    results: dict[str, tuple[bool, object]] = {}

    def run(name, fn):
        results[name] = _in_thread(fn, timeout)

    checks = [
        threading.Thread(target=run, args=("database", _database_and_worker)),
        threading.Thread(target=run, args=("broker", broker_state)),
    ]
    for thread in checks:
        thread.start()
    for thread in checks:
        thread.join()
    db_done, db = results["database"]
    broker_done, broker = results["broker"]
    timed_out = f"error: no answer within {timeout:g}s"
    states = {
        "database": db["database"] if db_done else timed_out,
        "broker": broker if broker_done else timed_out,
        "worker": db["worker"] if db_done else "unknown: database unavailable",
    }
    ready = all(state == "ok" for state in states.values())
    return ready, {"status": "ok" if ready else "unavailable", "version": settings.VERSION, "checks": states}
