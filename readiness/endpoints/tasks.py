"""Celery tasks for health probing: thin, ids in, a service call out. Routed to the "probes" queue."""

import logging

from celery import shared_task

from readiness.core.logging import log_changes
from readiness.endpoints import services

logger = logging.getLogger(__name__)


@shared_task(name="probes.dispatch_due", ignore_result=True)
def probes_dispatch_due_task() -> int:
    # Routine (every 5 s): what a probe changes is logged where the endpoint's state flips.
    dispatched = len(services.probes_dispatch_due())
    logger.debug("probes dispatched: %d endpoints", dispatched)
    return dispatched


# Not acks_late: a batch re-delivered after a worker died would probe and record twice; a lost
# batch costs one interval, and the next tick dispatches those endpoints again.
@shared_task(
    name="probes.run_batch", ignore_result=True, acks_late=False, soft_time_limit=120, time_limit=180
)
def probe_run_batch_task(endpoint_ids: list[int]) -> int:
    return len(services.probes_run_batch(endpoint_ids=endpoint_ids))


@shared_task(name="probes.rollup", ignore_result=True)
def probes_rollup_task() -> int:
    hours = services.rollups_refresh()
    logger.debug("probe rollups refreshed: %d", hours)
    return hours


@shared_task(name="probes.cleanup", ignore_result=True)
def probes_cleanup_task() -> dict:
    removed = services.probes_cleanup()
    log_changes(logger, "old probe data removed", removed)
    return removed
