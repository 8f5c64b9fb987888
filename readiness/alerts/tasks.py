"""Celery tasks for alerts: thin, ids in, a service call out (routed to the "email" queue)."""

import logging

from celery import shared_task

from readiness.alerts import services
from readiness.core.outbox import outbox_task

logger = logging.getLogger(__name__)


# The (channel, repository) outbox row is the request (readiness/core/outbox.py): one delivery of
# it sends at a time, a redelivered message finds it taken or done, and retries re-arm the row.
@shared_task(
    name="alerts.send",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=60,
    time_limit=90,
)
@outbox_task()
def alert_send_task(channel_id: int, repository_id: int) -> int:
    return services.alert_send(channel_id=channel_id, repository_id=repository_id).sent


@shared_task(name="alerts.sweep", ignore_result=True)
def alerts_sweep_task() -> int:
    asked = services.alerts_sweep()
    if asked:
        logger.warning("alerts: %d channel groups were overdue and asked for again", asked)
    return asked
