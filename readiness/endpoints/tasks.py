"""Celery tasks for health probing: thin, ids in, a service call out. Routed to the "probes" queue."""

from celery import shared_task

from readiness.core.outbox import outbox_task
from readiness.endpoints import services


@shared_task(name="probes.dispatch_due", ignore_result=True)
def probes_dispatch_due_task() -> int:
    return len(services.probes_dispatch_due())


# The batch's outbox row is the request (readiness/core/outbox.py): a batch whose worker died is
# probed again by whoever takes the row over, and its records commit with the row's "done", so a
# redelivered batch is never recorded twice.
@shared_task(
    name="probes.run_batch",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=180,
)
@outbox_task()
def probe_run_batch_task(endpoint_ids: list[int]) -> int:
    return len(services.probes_run_batch(endpoint_ids=endpoint_ids))


@shared_task(name="probes.rollup", ignore_result=True)
def probes_rollup_task() -> int:
    return services.rollups_refresh()


@shared_task(name="probes.cleanup", ignore_result=True)
def probes_cleanup_task() -> dict:
    return services.probes_cleanup()
