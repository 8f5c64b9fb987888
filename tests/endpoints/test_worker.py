"""The beat task's batches run on a real Celery worker consuming the "probes" queue (real Redis)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from readiness.endpoints.models import Endpoint, ProbeRecord
from readiness.endpoints.tasks import probes_dispatch_due_task
from tests.factories import EndpointFactory, RepositoryFactory
from tests.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def probes_worker():
    with running_worker("probes") as worker:
        yield worker


def test_dispatched_batches_are_probed_by_a_worker(allowed_server, probes_worker):
    allowed_server.route("/health", body={"status": "ok"})
    repo = RepositoryFactory()
    past = timezone.now() - timedelta(seconds=1)
    endpoints = [
        EndpointFactory(repository=repo, url=allowed_server.url("/health"), next_probe_at=past)
        for _ in range(3)
    ]

    assert probes_dispatch_due_task() == 3  # the beat task: claims and enqueues on commit
    assert probes_dispatch_due_task() == 0

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and ProbeRecord.objects.count() < 3:
        time.sleep(0.1)
    assert sorted(ProbeRecord.objects.values_list("endpoint_id", flat=True)) == sorted(
        e.pk for e in endpoints
    )
    assert set(Endpoint.objects.values_list("state", flat=True)) == {"up"}
