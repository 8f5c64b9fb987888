"""The beat tick claims due endpoints once: a second tick, or a concurrent one, finds none."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from readiness.endpoints import services
from readiness.endpoints.models import Endpoint
from tests.factories import EndpointFactory, RepositoryFactory


@pytest.mark.django_db
def test_due_endpoints_are_dispatched_once_and_pushed_forward(django_capture_on_commit_callbacks):
    now = timezone.now()
    repo = RepositoryFactory()
    due = [EndpointFactory(repository=repo, next_probe_at=now - timedelta(seconds=s)) for s in range(3)]
    later = EndpointFactory(repository=repo, next_probe_at=now + timedelta(seconds=30))
    EndpointFactory(repository=repo, next_probe_at=now, enabled=False)
    sent = []

    with django_capture_on_commit_callbacks(execute=True):
        first = services.probes_dispatch_due(now=now, enqueue=sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.probes_dispatch_due(now=now, enqueue=sent.append)

    assert sorted(first) == sorted(e.pk for e in due)
    assert second == []
    assert sorted(pk for batch in sent for pk in batch) == sorted(first)
    for endpoint in due:
        endpoint.refresh_from_db()
        assert endpoint.next_probe_at == now + timedelta(seconds=endpoint.interval_s)
    later.refresh_from_db()
    assert later.next_probe_at == now + timedelta(seconds=30)


@pytest.mark.django_db
def test_batches_are_bounded(django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 4)
    repo = RepositoryFactory()
    EndpointFactory.create_batch(10, repository=repo, next_probe_at=timezone.now() - timedelta(seconds=1))
    sent = []
    with django_capture_on_commit_callbacks(execute=True):
        services.probes_dispatch_due(enqueue=sent.append)
    assert [len(batch) for batch in sent] == [4, 4, 2]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ticks_never_dispatch_an_endpoint_twice():
    now = timezone.now()
    repo = RepositoryFactory()
    ids = {e.pk for e in EndpointFactory.create_batch(300, repository=repo, next_probe_at=now)}
    barrier = threading.Barrier(2)
    results, errors = [], []

    def tick():
        try:
            barrier.wait(timeout=10)
            results.append(services.probes_dispatch_due(now=now, enqueue=lambda batch: None))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    dispatched = [pk for result in results for pk in result]
    assert len(dispatched) == len(set(dispatched)) == len(ids)
    assert set(dispatched) == ids
    assert not Endpoint.objects.filter(next_probe_at__lte=now).exists()


@pytest.mark.django_db
def test_the_beat_task_records_each_batch_in_the_outbox_for_the_probes_queue(
    django_capture_on_commit_callbacks,
):
    from readiness.celery import app
    from readiness.core.models import OutboxMessage
    from readiness.endpoints import tasks

    endpoint = EndpointFactory(next_probe_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert tasks.probes_dispatch_due_task() == 1
    assert len(callbacks) == 1  # the publish, after commit
    message = OutboxMessage.objects.get()
    assert message.task == "probes.run_batch" and message.args == [[endpoint.pk]]
    route = app.amqp.router.route({}, "probes.run_batch")
    assert route["queue"].name == "probes"
