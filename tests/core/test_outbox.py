"""The outbox (readiness/core/outbox.py) with the real PostgreSQL, Redis and a real worker thread."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from readiness.core import outbox
from readiness.core.models import OutboxMessage, OutboxState
from tests.workers import running_worker

CALLS: list[tuple] = []
BEHAVIOUR: dict[str, object] = {}


@shared_task(name="tests.outbox_probe", queue="analysis")
@outbox.outbox_task()
def outbox_probe_task(label: str) -> str:
    CALLS.append((label, time.monotonic()))
    action = BEHAVIOUR.get(label)
    if action == "db_error":
        BEHAVIOUR.pop(label)
        raise OperationalError("server closed the connection unexpectedly")
    if action == "rearm":
        BEHAVIOUR.pop(label)
        outbox.outbox_enqueue(task="tests.outbox_probe", args=[label], dedup_key=f"t:{label}", delay=60)
    if isinstance(action, float):
        time.sleep(action)
    return label


@pytest.fixture(autouse=True)
def _clean():
    CALLS.clear()
    BEHAVIOUR.clear()


def _wait(predicate, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _enqueue(label: str, **kwargs) -> OutboxMessage:
    return outbox.outbox_enqueue(task="tests.outbox_probe", args=[label], dedup_key=f"t:{label}", **kwargs)


@pytest.mark.django_db
def test_a_rolled_back_request_leaves_no_row_and_sends_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _enqueue("rolled-back")
        raise RuntimeError
    assert not OutboxMessage.objects.exists() and callbacks == []


@pytest.mark.django_db
def test_the_same_key_is_one_request_and_a_done_row_is_armed_again():
    first = _enqueue("same")
    second = _enqueue("same")
    assert first.pk == second.pk and OutboxMessage.objects.count() == 1
    OutboxMessage.objects.filter(pk=first.pk).update(state=OutboxState.DONE, done_at=timezone.now())
    again = _enqueue("same", delay=30)
    assert again.pk == first.pk and again.state == OutboxState.PENDING
    assert again.available_at > timezone.now() + timedelta(seconds=25)


@pytest.mark.django_db
def test_of_two_claims_one_wins_and_an_expired_lease_is_taken_over(settings):
    message = _enqueue("claims")
    first = outbox.outbox_claim(outbox_id=message.pk)
    assert first is not None and outbox.outbox_claim(outbox_id=message.pk) is None
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE + 1)
    second = outbox.outbox_claim(outbox_id=message.pk, now=later)
    assert second is not None and second.attempts == 2 and second.claim_token != first.claim_token
    assert not outbox.outbox_done(first), "the dead holder's late 'done' must not count"
    assert outbox.outbox_done(second)


@pytest.mark.django_db(transaction=True)
def test_committed_work_runs_once_however_often_it_is_delivered():
    message = _enqueue("once")
    assert message.published is True
    for _ in range(3):  # duplicates: a relay's, a redelivery's
        outbox.outbox_publish(message)
    with running_worker("analysis"):
        _wait(lambda: OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DONE)
        time.sleep(1)  # the duplicates arrive and find it done
    assert [c[0] for c in CALLS] == ["once"]


@pytest.mark.django_db(transaction=True)
def test_the_relay_publishes_a_request_whose_message_never_left(settings):
    with transaction.atomic():
        message = _enqueue("lost")
        transaction.set_rollback(False)
    # Simulate the publish lost between commit and broker: the row is pending, never published.
    OutboxMessage.objects.filter(pk=message.pk).update(published_at=None, publishes=0)
    with running_worker("analysis"):
        _wait(lambda: OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DONE)
    CALLS.clear()
    lost = OutboxMessage.objects.create(
        dedup_key="t:never-sent",
        task="tests.outbox_probe",
        args=["never-sent"],
        available_at=timezone.now(),
        relay_after=timezone.now(),
    )
    assert outbox.outbox_relay() == 1
    assert outbox.outbox_relay() == 0, "pushed forward: the next pass does not publish it again"
    with running_worker("analysis"):
        _wait(lambda: OutboxMessage.objects.get(pk=lost.pk).state == OutboxState.DONE)
    assert [c[0] for c in CALLS] == ["never-sent"]


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_the_task_puts_the_request_back_not_away():
    BEHAVIOUR["flaky"] = "db_error"
    message = _enqueue("flaky")
    with running_worker("analysis"):
        _wait(lambda: len(CALLS) >= 2 and OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DONE)
    row = OutboxMessage.objects.get(pk=message.pk)
    assert row.attempts == 2 and [c[0] for c in CALLS] == ["flaky", "flaky"]


@pytest.mark.django_db(transaction=True)
def test_a_task_that_arms_itself_again_stays_pending():
    BEHAVIOUR["again"] = "rearm"
    message = _enqueue("again")
    with running_worker("analysis"):
        _wait(lambda: len(CALLS) == 1)
        time.sleep(0.5)
    row = OutboxMessage.objects.get(pk=message.pk)
    assert row.state == OutboxState.PENDING and row.available_at > timezone.now() + timedelta(seconds=50)


@pytest.mark.django_db(transaction=True)
def test_the_lease_is_renewed_while_the_task_runs(settings):
    settings.OUTBOX_LEASE = 3
    BEHAVIOUR["slow"] = 4.0
    message = _enqueue("slow")
    with running_worker("analysis"):
        _wait(lambda: OutboxMessage.objects.get(pk=message.pk).state == OutboxState.CLAIMED)
        time.sleep(3.5)  # longer than the lease: only renewals keep it
        row = OutboxMessage.objects.get(pk=message.pk)
        assert row.state == OutboxState.CLAIMED and row.lease_until > timezone.now()
        assert outbox.outbox_claim(outbox_id=message.pk) is None
        _wait(lambda: OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DONE)
    assert len(CALLS) == 1


@pytest.mark.django_db
def test_a_claim_whose_holder_on_this_host_is_gone_is_taken_over_at_once():
    import socket
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    message = _enqueue("orphan")
    first = outbox.outbox_claim(outbox_id=message.pk)
    assert first is not None
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_by=f"{socket.gethostname()}:{dead.pid}:1")
    second = outbox.outbox_claim(outbox_id=message.pk)  # the lease is still alive
    assert second is not None and second.attempts == 2
    assert outbox.outbox_claim(outbox_id=message.pk) is None, "this process holds it now: alive"


@pytest.mark.django_db
def test_a_live_holder_elsewhere_keeps_its_claim_until_its_lease_runs_out():
    message = _enqueue("elsewhere")
    assert outbox.outbox_claim(outbox_id=message.pk) is not None
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_by="another-host:1:1")
    assert outbox.outbox_claim(outbox_id=message.pk) is None
    assert not outbox.holder_gone("another-host:1:1")


@pytest.mark.django_db
def test_the_relay_publishes_at_once_a_claim_whose_local_holder_is_gone(django_capture_on_commit_callbacks):
    import socket
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    message = _enqueue("relay-orphan")
    outbox.outbox_claim(outbox_id=message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_by=f"{socket.gethostname()}:{dead.pid}:1", relay_after=timezone.now()
    )
    assert outbox.outbox_relay() == 1
