"""The outbox (readiness/core/outbox.py) with the real PostgreSQL, Redis and a real worker thread."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from celery import shared_task
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
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
    if action == "integrity_error":
        raise IntegrityError("duplicate key value violates unique constraint")
    if action == "interface_error":
        raise InterfaceError("connection already closed")
    if action == "rearm":
        BEHAVIOUR.pop(label)
        outbox.outbox_enqueue(task="tests.outbox_probe", args=[label], dedup_key=f"t:{label}", delay=60)
    if action == "taken_over":  # another delivery takes the row over while this one works
        OutboxMessage.objects.filter(dedup_key=f"t:{label}").update(claim_token="new-holder")
        outbox.outbox_ensure_held()
        CALLS.append(("after the loss", label))
    if isinstance(action, float):
        time.sleep(action)
    return label


@shared_task(bind=True, name="tests.outbox_bound", queue="analysis")
@outbox.outbox_task()
def outbox_bound_task(self, label: str) -> str:
    CALLS.append((label, self.name))
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


# --- races: a redelivered or stale message, two relays, a poison message ------------------------


@pytest.mark.django_db
def test_a_stale_message_cannot_take_its_row_armed_again_with_other_arguments():
    """A message still in the broker from before its row was armed again with other arguments, or
    one naming a row of another database (a restored backup), must not mark that request done."""
    message = outbox.outbox_enqueue(task="tests.outbox_probe", args=["old"], dedup_key="t:rearmed")
    outbox.outbox_enqueue(task="tests.outbox_probe", args=["new"], dedup_key="t:rearmed")
    assert outbox.outbox_claim(outbox_id=message.pk, task="tests.outbox_probe", args=["old"]) is None
    assert outbox.outbox_claim(outbox_id=message.pk, task="tests.other", args=["new"]) is None
    claim = outbox.outbox_claim(outbox_id=message.pk, task="tests.outbox_probe", args=["new"])
    assert claim is not None and claim.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_arguments_are_not_its_rows_does_nothing():
    message = _enqueue("mine")
    outbox_probe_task("someone-else", outbox_id=message.pk)  # as a worker runs the delivered message
    row = OutboxMessage.objects.get(pk=message.pk)
    assert CALLS == [] and row.state == OutboxState.PENDING and row.attempts == 0
    outbox_probe_task("mine", outbox_id=message.pk)
    assert [c[0] for c in CALLS] == ["mine"]
    assert OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DONE


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_publish_each_row_once(monkeypatch):
    import threading

    from django.db import connection

    from readiness.celery import app

    now = timezone.now()
    rows = [
        OutboxMessage.objects.create(
            dedup_key=f"t:relay-{n}",
            task="tests.outbox_probe",
            args=[f"r{n}"],
            available_at=now,
            relay_after=now,
        )
        for n in range(60)
    ]
    published: list[int] = []
    lock = threading.Lock()

    def fake_send(name, args=None, kwargs=None, **options):
        time.sleep(0.005)  # a publish takes a moment: the relays overlap
        with lock:
            published.append(kwargs["outbox_id"])

    monkeypatch.setattr(app, "send_task", fake_send)
    start = threading.Barrier(2)

    def relay():
        try:
            start.wait()
            outbox.outbox_relay(now=now + timedelta(seconds=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(published) == sorted(r.pk for r in rows), "each row once, none twice, none left"
    assert outbox.outbox_relay(now=now + timedelta(seconds=2)) == 0


@pytest.mark.django_db
def test_a_late_publish_of_an_earlier_request_leaves_a_rearmed_rows_relay_time(monkeypatch):
    from readiness.celery import app

    monkeypatch.setattr(app, "send_task", lambda *a, **k: None)
    first = _enqueue("late")  # its publish is slow: the task ran and armed the row again meanwhile
    again = _enqueue("late", delay=600)
    relay_after = OutboxMessage.objects.get(pk=again.pk).relay_after
    assert outbox.outbox_publish(first)
    row = OutboxMessage.objects.get(pk=again.pk)
    assert row.relay_after == relay_after and row.publishes == 0


@pytest.mark.django_db(transaction=True)
def test_a_poison_message_is_not_retried_for_ever_but_an_outage_is():
    BEHAVIOUR["poison"] = "integrity_error"
    message = _enqueue("poison")
    for attempt in range(1, outbox.MAX_ATTEMPTS_AFTER_OTHER_DB_ERRORS + 1):
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        if attempt < outbox.MAX_ATTEMPTS_AFTER_OTHER_DB_ERRORS:
            outbox_probe_task("poison", outbox_id=message.pk)  # released: a race may resolve
            assert OutboxMessage.objects.get(pk=message.pk).state == OutboxState.PENDING
        else:
            with pytest.raises(IntegrityError):
                outbox_probe_task("poison", outbox_id=message.pk)
    row = OutboxMessage.objects.get(pk=message.pk)
    assert row.state == OutboxState.DONE and row.attempts == outbox.MAX_ATTEMPTS_AFTER_OTHER_DB_ERRORS

    BEHAVIOUR["outage"] = "interface_error"  # "connection already closed": not a DatabaseError
    outage = _enqueue("outage")
    for _ in range(outbox.MAX_ATTEMPTS_AFTER_OTHER_DB_ERRORS + 2):
        OutboxMessage.objects.filter(pk=outage.pk).update(available_at=timezone.now())
        outbox_probe_task("outage", outbox_id=outage.pk)
    row = OutboxMessage.objects.get(pk=outage.pk)
    assert row.state == OutboxState.PENDING and row.attempts == outbox.MAX_ATTEMPTS_AFTER_OTHER_DB_ERRORS + 2


@pytest.mark.django_db(transaction=True)
def test_a_bound_task_is_matched_on_its_arguments_without_self():
    message = outbox.outbox_enqueue(task="tests.outbox_bound", args=["bound"], dedup_key="t:bound")
    outbox_bound_task("bound", outbox_id=message.pk)
    assert CALLS == [("bound", "tests.outbox_bound")]
    assert OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DONE


# --- a claim lost while its task runs ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_renewal_that_finds_the_claim_taken_over_sets_lost_and_warns_once(settings, caplog):
    settings.OUTBOX_LEASE = 1  # a renewal every third of a second
    caplog.set_level(logging.INFO, logger="readiness.core.outbox")  # a test worker may have set ERROR
    message = outbox.outbox_claim(outbox_id=_enqueue("renewed").pk)
    with outbox.LeaseKeeper(message) as keeper:
        time.sleep(0.5)
        assert not keeper.lost.is_set(), "renewed while it holds the claim"
        OutboxMessage.objects.filter(pk=message.pk).update(claim_token="new-holder")
        assert keeper.lost.wait(5)
        time.sleep(1)  # renewals after the loss would warn again
    warnings = [r for r in caplog.records if "no longer holds its claim" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
    assert OutboxMessage.objects.get(pk=message.pk).claim_token == "new-holder"


@pytest.mark.django_db(transaction=True)
def test_the_claim_is_checked_against_the_database_not_only_the_last_renewal(settings):
    message = outbox.outbox_claim(outbox_id=_enqueue("checked").pk)
    assert outbox.outbox_claim_held(), "outside an outbox task there is no claim to lose"
    keeper = outbox.LeaseKeeper(message)  # not started: no renewal has run, the flag is not set
    token = outbox._current.set(keeper)
    try:
        assert outbox.outbox_claim_held()
        OutboxMessage.objects.filter(pk=message.pk).update(claim_token="new-holder")
        assert not keeper.lost.is_set()
        with pytest.raises(outbox.ClaimLost):
            outbox.outbox_ensure_held()
        assert keeper.lost.is_set()
    finally:
        outbox._current.reset(token)


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_claim_is_lost_stops_and_leaves_the_row_to_its_new_holder(caplog):
    caplog.set_level(logging.INFO, logger="readiness.core.outbox")
    BEHAVIOUR["lost"] = "taken_over"
    message = _enqueue("lost")
    assert outbox_probe_task("lost", outbox_id=message.pk) is None
    assert ("after the loss", "lost") not in CALLS, "stopped at the check: nothing done after the loss"
    row = OutboxMessage.objects.get(pk=message.pk)
    assert row.state == OutboxState.CLAIMED and row.claim_token == "new-holder" and row.done_at is None
    assert not [r for r in caplog.records if r.levelno >= 40], "not an error"
