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
