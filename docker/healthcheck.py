"""Container healthchecks, one per role: ``healthcheck.py web|worker NODE|beat``; exit 0 when healthy.

- web: GET /health on this container's gunicorn (standard library only, so it costs milliseconds).
  The Host header is the first ALLOWED_HOSTS entry, or Django would answer 400 to "127.0.0.1".
- worker NODE: this worker's own heartbeat row (readiness/core/heartbeat.py) is recent, which
  proves the worker's timer runs and it can reach the database; NODE is the prefix given to
  ``celery worker --hostname=NODE@%h``.
- beat: the database and the broker answer (beat can do nothing without them).
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request


def web() -> bool:
    port = os.environ.get("PORT", "8000")
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"Host": host})
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - fixed local URL
        return response.status == 200


def _django() -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readiness.settings")
    import django

    django.setup()


def worker(node: str) -> bool:
    _django()
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from readiness.core.models import WorkerHeartbeat

    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    hostname = f"{node}@{socket.gethostname()}"
    return WorkerHeartbeat.objects.filter(hostname=hostname, last_seen__gte=cutoff).exists()


def beat() -> bool:
    _django()
    from readiness.core.health import broker_state, database_state

    return database_state() == "ok" and broker_state() == "ok"


def main(argv: list[str]) -> int:
    role = argv[1] if len(argv) > 1 else "web"
    try:
        if role == "web":
            healthy = web()
        elif role == "worker" and len(argv) == 3:
            healthy = worker(argv[2])
        elif role == "beat":
            healthy = beat()
        else:
            print("usage: healthcheck.py web | worker NODE | beat", file=sys.stderr)
            return 2
    except Exception as exc:  # any failure to check is unhealthy, said in one line
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not healthy:
        print(f"unhealthy: {role}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
