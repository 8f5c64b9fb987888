"""A worker bootstep that writes a heartbeat row every few seconds, for GET /ready."""

import logging

from celery import bootsteps

logger = logging.getLogger(__name__)


def record_heartbeat(hostname: str) -> None:
    from django.db import connection
    from django.utils import timezone

    from readiness.core.models import WorkerHeartbeat

    try:
        WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})
    except Exception:  # the database may be briefly away; the next beat retries
        logger.warning("could not record worker heartbeat", exc_info=True)
    finally:
        # The timer thread beats rarely: holding a connection open between beats buys nothing.
        connection.close()


class HeartbeatStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def start(self, worker):
        from django.conf import settings

        record_heartbeat(worker.hostname)
        self.tref = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_INTERVAL, record_heartbeat, (worker.hostname,), priority=10
        )

    def stop(self, worker):
        tref = getattr(self, "tref", None)
        if tref is not None:
            tref.cancel()


def relay_loop(stop, interval: float) -> None:
    """Each worker relays the outbox (readiness/core/outbox.py) from a thread of its own, so the
    relay needs neither beat nor a free pool slot, and works as soon as broker and database do."""
    from django.db import connection

    from readiness.core.outbox import outbox_prune, outbox_relay

    passes = 0
    while not stop.wait(interval):
        passes += 1
        try:
            published = outbox_relay()
            if published:
                logger.info("outbox relay published %d message(s)", published)
            if passes % 360 == 0:
                outbox_prune()
        except Exception:  # the database may be away: the next pass tries again
            logger.warning("outbox relay pass failed", exc_info=True)
            connection.close()
    connection.close()


class OutboxRelayStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def start(self, worker):
        import threading

        from django.conf import settings

        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=relay_loop,
            args=(self.stop_event, settings.OUTBOX_RELAY_INTERVAL),
            name="outbox-relay",
            daemon=True,
        )
        self.thread.start()

    def stop(self, worker):
        stop_event = getattr(self, "stop_event", None)
        if stop_event is not None:
            stop_event.set()
            self.thread.join(5)

    # A cold shutdown (and Celery's test worker) terminates steps instead of stopping them.
    terminate = stop
