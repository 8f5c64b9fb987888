"""Background work whose truth is the database (a transactional outbox). One mechanism for all of it:
analyses, probe batches, e-mails, alerts.

Asking for work::

    with transaction.atomic():
        run = AnalysisRun.objects.create(...)
        outbox_enqueue(task="repos.analysis_run", args=[run.pk], dedup_key=f"analysis-run:{run.pk}")

The row commits with the caller's change or not at all. After the commit it is published to the
broker at once (an optimisation: when the broker is down the request still succeeds, and
``message.published`` says so). The relay (``outbox_relay``, run every OUTBOX_RELAY_INTERVAL seconds
by a thread in each worker, see heartbeat.py) publishes again every row nobody has claimed within
OUTBOX_REPUBLISH_AFTER seconds of being due, and every row whose claim's lease ran out (its worker
died), so a message lost anywhere (broker restart, publish error, kill -9) costs at most about
30 s once the parts are back.

Doing the work: decorate the Celery task with ``@outbox_task``; it receives the same ``args`` and
its message carries ``outbox_id``. The decorator claims the row with one conditional UPDATE (only a
pending row, or a claimed one whose lease expired, can be claimed, and only by one delivery), keeps
the lease alive from a heartbeat thread while the task runs, and marks the row done when the task
returns. A duplicate delivery finds the row claimed or done and does nothing. A database error
inside the task puts the row back with a short backoff (or, when the database is still away, the
lease runs out and the relay brings it back): the request is never dropped with its message acked.

Retrying later from inside the task: call ``outbox_enqueue`` again with the same ``dedup_key`` and a
``delay``; the row goes back to pending and the decorator leaves it so.

A claim can be lost while its task runs: a process frozen longer than the lease (or judged dead by
``holder_gone``) is taken over by another delivery. Its renewals then fail and set the keeper's
``lost`` flag; before each side effect that cannot be undone (an e-mail, a webhook) the task calls
``outbox_ensure_held()``, which raises ``ClaimLost`` when the flag is set or the database says the
claim is someone else's. The decorator ends such a task quietly and leaves the row to its new holder.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F, Q
from django.utils import timezone

from readiness.core.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

# The keeper of the claim the running task holds (set by @outbox_task), for outbox_commit_point()
# and outbox_ensure_held().
_current: contextvars.ContextVar[LeaseKeeper | None] = contextvars.ContextVar("outbox", default=None)

# The first publish happens on commit; the relay steps in if the row is still pending this long after.
FIRST_RELAY_GRACE = timedelta(seconds=5)
DB_RETRY_BACKOFF_MAX_S = 60
# Database errors that say nothing about the task's code (a restart, a failover, a broken or locked
# connection, a serialisation failure): retried for as long as it takes. Others (an integrity, data
# or programming error) are usually a bug, but can be a race that a retry resolves: retried this
# many attempts of the row, then the row is done and the error raised, so a poison message cannot
# cycle for ever.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError, InternalError)
MAX_ATTEMPTS_AFTER_OTHER_DB_ERRORS = 5


class ClaimLost(Exception):
    """This delivery no longer holds its outbox claim (taken over after its lease ran out, or given
    back): the work is someone else's now. ``@outbox_task`` ends the task quietly on it."""


def _lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE)


def _republish_after() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER)


def outbox_enqueue(
    *, task: str, args: list, dedup_key: str, delay: float = 0, rearm_claimed: bool = True
) -> OutboxMessage:
    """Record a request for ``task(*args)``, in the caller's transaction; publish it after commit.

    The same ``dedup_key`` is the same request: a pending row stays one row (its due time moves to
    this call's), a claimed or done row goes back to pending (a retry, or work asked for again).
    ``rearm_claimed=False``: a row being worked on right now is left to its holder, for work that
    joins a batch in progress (the holder looks for more when it ends; re-arming would let a second
    delivery take the same batch while the first is still sending it).
    """
    now = timezone.now()
    available_at = now + timedelta(seconds=delay)
    fields = {
        "task": task,
        "args": list(args),
        "state": OutboxState.PENDING,
        "available_at": available_at,
        "relay_after": available_at + FIRST_RELAY_GRACE,
        "claimed_by": "",
        "claim_token": "",
        "lease_until": None,
        "done_at": None,
    }
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(dedup_key=dedup_key).first()
        created = False
        if message is None:
            try:
                with transaction.atomic():  # a savepoint: a racing insert of the same key loses cleanly
                    message, created = OutboxMessage.objects.create(dedup_key=dedup_key, **fields), True
            except IntegrityError:
                message = OutboxMessage.objects.select_for_update().get(dedup_key=dedup_key)
        if not created and not rearm_claimed and message.state == OutboxState.CLAIMED:
            return message
        if not created:
            for name, value in fields.items():
                setattr(message, name, value)
            message.save(update_fields=list(fields))
            keeper = _current.get()
            if keeper is not None and keeper.message.pk == message.pk:
                keeper.stop.set()  # the task gave its own claim back: nothing left to renew
        message.published = None  # set after commit: True, or False when the broker was unreachable
        transaction.on_commit(lambda: _publish_after_commit(message))
    return message


def _publish_after_commit(message: OutboxMessage) -> None:
    message.published = outbox_publish(message)


def outbox_publish(message: OutboxMessage) -> bool:
    """Send one message to the broker now, with a bounded wait; False (logged) when it could not.
    Never raises: the row is the request, and the relay will publish it again."""
    from readiness.celery import app

    now = timezone.now()
    countdown = max(0.0, (message.available_at - now).total_seconds())
    if app.conf.task_always_eager:
        # Tests' eager mode: run the task here, as a direct call (no claim; retries inline).
        app.tasks[message.task].apply(args=message.args)
        return True
    try:
        app.send_task(
            message.task,
            args=message.args,
            kwargs={"outbox_id": message.pk},
            countdown=countdown or None,
            retry=False,  # one bounded try (BROKER_TIMEOUT); the relay is the retry
        )
    except Exception as exc:  # kombu and redis raise many kinds; all mean "not published"
        logger.warning("could not publish %s (%s); the relay will", message.dedup_key, exc)
        return False
    try:
        # Only the request this message carries: a row armed again meanwhile (a retry with its own
        # due time) keeps the relay time its own publish sets.
        OutboxMessage.objects.filter(
            pk=message.pk, state=message.state, available_at=message.available_at
        ).update(
            published_at=now,
            publishes=F("publishes") + 1,
            relay_after=max(now, message.available_at) + _republish_after(),
        )
    except DatabaseError:  # published all the same; at worst the relay publishes a duplicate
        logger.warning("could not record the publish of %s", message.dedup_key, exc_info=True)
    return True


def outbox_relay(*, now=None, limit: int = 500) -> int:
    """Publish again what has no live message: pending rows nobody claimed in time, and claimed rows
    whose lease ran out. Each row is pushed ``OUTBOX_REPUBLISH_AFTER`` forward in the same
    transaction that picks it (SKIP LOCKED), so two relays never publish the same row at once."""
    now = now or timezone.now()
    due = Q(state=OutboxState.PENDING) | Q(state=OutboxState.CLAIMED, lease_until__lt=now)
    # Claims held by processes of this host that are gone need not wait for their lease.
    local = OutboxMessage.objects.filter(
        state=OutboxState.CLAIMED, lease_until__gte=now, claimed_by__startswith=f"{socket.gethostname()}:"
    ).values_list("pk", "claimed_by")[:limit]
    orphaned = [pk for pk, claimed_by in local if holder_gone(claimed_by)]
    if orphaned:
        due |= Q(pk__in=orphaned)
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(due, relay_after__lte=now, available_at__lte=now)
            .order_by("relay_after")[:limit]
        )
        if rows:
            OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
                relay_after=now + _republish_after()
            )
    published = 0
    for message in rows:
        if message.state == OutboxState.CLAIMED:
            logger.warning(
                "%s: %s is gone or its lease ran out; publishing it again",
                message.dedup_key,
                message.claimed_by,
            )
        if outbox_publish(message):
            published += 1
        else:
            break  # the broker is away: the rest waits for the next pass
    return published


def outbox_prune(*, now=None, keep_days: int = 7) -> int:
    now = now or timezone.now()
    deleted, _ = OutboxMessage.objects.filter(
        state=OutboxState.DONE, done_at__lt=now - timedelta(days=keep_days)
    ).delete()
    return deleted


# --- the worker side ---------------------------------------------------------------------------


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _pid_alive(pid: int) -> bool:
    """Alive and not a zombie (a killed pool process stays a zombie until its parent reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def holder_gone(claimed_by: str) -> bool:
    """True when the claim was taken by a process of this host that no longer runs: its lease need
    not run out before another delivery takes the work over (a pool process killed with -9, a worker
    that died and was started again). A holder on another host is judged by its lease alone."""
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return not _pid_alive(int(pid))


def outbox_claim(
    *, outbox_id: int, now=None, task: str | None = None, args: list | None = None
) -> OutboxMessage | None:
    """Take the row for this delivery, or None when it is done, gone, not yet due, or held by a
    claim whose lease is alive. One conditional UPDATE: of two deliveries exactly one wins.

    ``task`` and ``args``, the delivered message's, must be the row's: a message still in the broker
    from before its row was armed again with other arguments, or naming a row of another database
    (restored from a backup, or another deployment sharing the broker), must not take that row and
    mark someone else's request done."""
    now = now or timezone.now()
    mine = Q(pk=outbox_id)
    if task is not None:
        mine &= Q(task=task)
    if args is not None:
        mine &= Q(args=args)
    claim = {
        "state": OutboxState.CLAIMED,
        "claim_token": uuid.uuid4().hex,
        "claimed_by": worker_identity(),
        "lease_until": now + _lease(),
        "attempts": F("attempts") + 1,
    }
    won = (
        OutboxMessage.objects.filter(mine, available_at__lte=now)
        .filter(Q(state=OutboxState.PENDING) | Q(state=OutboxState.CLAIMED, lease_until__lt=now))
        .update(**claim)
    )
    if not won:
        # Held by a live lease: unless its holder is a process of this host that is gone, in which
        # case this delivery takes over now (compare-and-swap on the dead holder's token).
        held = (
            OutboxMessage.objects.filter(mine, state=OutboxState.CLAIMED)
            .values("claim_token", "claimed_by")
            .first()
        )
        if held is None or not holder_gone(held["claimed_by"]):
            return None
        won = OutboxMessage.objects.filter(
            pk=outbox_id, state=OutboxState.CLAIMED, claim_token=held["claim_token"]
        ).update(**claim)
        if not won:
            return None
        logger.warning("outbox %s: its holder %s is gone; taken over", outbox_id, held["claimed_by"])
    return OutboxMessage.objects.get(pk=outbox_id)


def outbox_renew(message: OutboxMessage) -> bool:
    """Push the lease forward; False when the claim was lost (taken over, re-armed or finished)."""
    return bool(
        OutboxMessage.objects.filter(
            pk=message.pk, state=OutboxState.CLAIMED, claim_token=message.claim_token
        ).update(lease_until=timezone.now() + _lease())
    )


def outbox_done(message: OutboxMessage) -> bool:
    """Mark the claim's work done; a row re-armed meanwhile (a retry) is left pending."""
    return bool(
        OutboxMessage.objects.filter(
            pk=message.pk, state=OutboxState.CLAIMED, claim_token=message.claim_token
        ).update(state=OutboxState.DONE, done_at=timezone.now(), lease_until=None, last_error="")
    )


def outbox_current() -> OutboxMessage | None:
    """The outbox claim the running task holds; None outside an ``@outbox_task`` (a direct call)."""
    keeper = _current.get()
    return keeper.message if keeper is not None else None


def outbox_claim_held() -> bool:
    """Does this delivery still hold its claim? The keeper's flag answers at once when a renewal
    found the claim gone; otherwise the database does (the flag is only as fresh as the last
    renewal), by renewing the lease on the claim's token. Inside a transaction that renewal locks
    the row until commit, so a takeover waits for the caller's writes. True outside an outbox task."""
    keeper = _current.get()
    if keeper is None:
        return True
    if keeper.lost.is_set():
        return False
    if outbox_renew(keeper.message):
        return True
    keeper.lose()
    return False


def outbox_ensure_held() -> None:
    """Call before each side effect that cannot be undone (an e-mail, a webhook): ``ClaimLost``
    when this delivery's claim was taken over, so the work is done by its new holder alone."""
    if not outbox_claim_held():
        raise ClaimLost


def outbox_commit_point() -> bool:
    """Call inside the transaction that records a task's outcome: marks its outbox row done in that
    same transaction, so the outcome and "done" commit together (a delivery dying between the two
    cannot make the work happen twice). False when this delivery no longer holds the claim (it was
    taken over): the caller should roll back. True outside an outbox task (nothing to mark)."""
    keeper = _current.get()
    if keeper is None:
        return True
    if not outbox_done(keeper.message):
        return False
    keeper.stop.set()  # the claim ends with this transaction: a renewal would find it done, not lost
    return True


def outbox_release(message: OutboxMessage, *, error: str, delay: float) -> bool:
    """Give the claim back after a transient failure: pending again after ``delay`` seconds."""
    available_at = timezone.now() + timedelta(seconds=delay)
    released = OutboxMessage.objects.filter(
        pk=message.pk, state=OutboxState.CLAIMED, claim_token=message.claim_token
    ).update(
        state=OutboxState.PENDING,
        available_at=available_at,
        relay_after=available_at + FIRST_RELAY_GRACE,
        lease_until=None,
        claim_token="",
        last_error=error[:2000],
    )
    if released:
        message.state, message.available_at = OutboxState.PENDING, available_at
        outbox_publish(message)
    return bool(released)


class LeaseKeeper:
    """Renews a claim every third of the lease from a thread of its own (with its own database
    connection) while the task runs, and calls ``renew`` (say, to push a run's lease too). When the
    process dies the renewals stop, and the lease runs out within OUTBOX_LEASE seconds. A renewal
    that finds the claim gone (taken over) sets ``lost`` and stops."""

    def __init__(self, message: OutboxMessage, renew: Callable[[], None] | None = None):
        self.message, self.renew = message, renew
        self.stop, self.lost = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, name=f"lease-{message.pk}", daemon=True)

    def lose(self) -> None:
        """Mark the claim lost; logged once, whichever thread finds it first."""
        with self._lock:
            if self.lost.is_set() or self.stop.is_set():  # stopped: the task ended its claim itself
                return
            self.lost.set()
        logger.warning(
            "outbox %s: this delivery no longer holds its claim (taken over after its lease ran out); "
            "it stops before its next side effect",
            self.message.dedup_key,
        )

    def _loop(self) -> None:
        interval = max(0.2, settings.OUTBOX_LEASE / 3)
        try:
            while not self.stop.wait(interval):
                try:
                    if not outbox_renew(self.message):
                        self.lose()
                        return
                    if self.renew is not None:
                        self.renew()
                except DatabaseError:  # the database may be away for a moment; the next beat retries
                    logger.warning("could not renew the lease of %s", self.message.dedup_key)
                    connection.close()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def _db_backoff(attempts: int) -> float:
    return min(DB_RETRY_BACKOFF_MAX_S, 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)  # noqa: S311


def outbox_task(renew: Callable[..., None] | None = None):
    """Decorate a Celery task's function: claim its outbox row, keep the lease alive, mark it done.

    ``renew(*args)`` is called at each lease renewal. A call without ``outbox_id`` (a message sent
    before the outbox existed, or a test calling the task directly) runs the function unguarded.
    """

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, outbox_id: int | None = None, **kwargs):
            if outbox_id is None:
                return fn(*args, **kwargs)
            if not connection.in_atomic_block:  # never under a caller's transaction (a test's)
                close_old_connections()  # a connection broken by a database restart is replaced first
            message = outbox_claim(outbox_id=outbox_id, task=_task_name(), args=_message_args(args))
            if message is None:
                logger.info("outbox %s: taken, done, not due or another request; nothing to do", outbox_id)
                return None
            try:
                keeper = LeaseKeeper(message, (lambda: renew(*args)) if renew else None)
                token = _current.set(keeper)
                try:
                    with keeper:
                        result = fn(*args, **kwargs)
                finally:
                    _current.reset(token)
            except ClaimLost:
                # Not an error: the row is its new holder's, who finishes it (and marks it done).
                logger.info("outbox %s: claim lost; stopped and left to its new holder", message.dedup_key)
                return None
            except (DatabaseError, InterfaceError) as exc:
                if not isinstance(exc, TRANSIENT_DB_ERRORS) and (
                    message.attempts >= MAX_ATTEMPTS_AFTER_OTHER_DB_ERRORS
                ):
                    logger.error(
                        "outbox %s: %s on attempt %s; giving up", message.dedup_key, exc, message.attempts
                    )
                    _finish_quietly(message)
                    raise
                # Transient (a restart, a failover): back to pending with a short backoff. If the
                # database is still away this fails too, and the lease brings the row back later.
                logger.warning("outbox %s: database error, retrying: %s", message.dedup_key, exc)
                close_old_connections()
                connection.close()
                try:
                    outbox_release(message, error=str(exc), delay=_db_backoff(message.attempts))
                except DatabaseError:
                    logger.warning("outbox %s: left to its lease", message.dedup_key)
                return None
            except BaseException:
                # A bug, or the soft time limit: the task's own code recorded what it could; the
                # row is done so that it is not retried forever (the task decides retries itself).
                _finish_quietly(message)
                raise
            _finish_quietly(message)
            return result

        return wrapper

    return decorator


def _message_args(args: tuple) -> list | None:
    """The delivered message's arguments as the row stores them (a bound task's ``self`` left out,
    tuples as lists); None when they are not JSON (a direct call's: nothing to compare)."""
    from celery import Task

    if args and isinstance(args[0], Task):
        args = args[1:]
    try:
        return json.loads(json.dumps(list(args)))
    except (TypeError, ValueError):
        return None


def _task_name() -> str | None:
    """The name of the Celery task being run (None outside one: a plain call of the function)."""
    from celery import current_task

    return getattr(current_task, "name", None) if current_task else None


def _finish_quietly(message: OutboxMessage) -> None:
    try:
        outbox_done(message)
    except DatabaseError:  # the lease runs out and the relay re-delivers; the task is idempotent
        logger.warning("outbox %s: could not mark done", message.dedup_key, exc_info=True)
