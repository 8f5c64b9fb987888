import pytest
from django.test import override_settings
from django.utils import timezone

from readiness.core.models import WorkerHeartbeat


def test_health_answers_without_the_database(client):
    # No django_db mark: any database access in the view would raise here.
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


# transaction=True: /ready reads the database from a thread of its own (a deadline per check).
@pytest.mark.django_db(transaction=True)
def test_ready_needs_a_worker_heartbeat(client):
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["worker"].startswith("error")
    assert body["version"]
    WorkerHeartbeat.objects.create(hostname="w1", last_seen=timezone.now())
    assert client.get("/ready").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_when_the_broker_is_down(client):
    WorkerHeartbeat.objects.create(hostname="w1", last_seen=timezone.now())
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")


@pytest.mark.django_db(transaction=True)
def test_ready_names_a_frozen_broker_within_two_seconds(client):
    """A frozen Redis (SIGSTOP) accepts connections and never answers: a listening socket that
    nobody reads behaves the same."""
    import socket
    import time

    WorkerHeartbeat.objects.create(hostname="w1", last_seen=timezone.now())
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(16)
        port = frozen.getsockname()[1]
        with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"):
            started = time.monotonic()
            response = client.get("/ready")
            elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < 2.0
    checks = response.json()["checks"]
    assert checks["broker"].startswith("error") and checks["database"] == "ok"
