"""Celery tasks for health probing: thin, ids in, a service call out. Routed to the "probes" queue."""

from celery import shared_task

from readiness.endpoints import services


@shared_task(name="probes.dispatch_due", ignore_result=True)
def probes_dispatch_due_task() -> int:
    return len(services.probes_dispatch_due())


# Not acks_late: a batch re-delivered after a worker died would probe and record twice; a lost
# batch costs one interval, and the next tick dispatches those endpoints again.
@shared_task(
    name="probes.run_batch", ignore_result=True, acks_late=False, soft_time_limit=120, time_limit=180
)
def probe_run_batch_task(endpoint_ids: list[int]) -> int:
    return len(services.probes_run_batch(endpoint_ids=endpoint_ids))


@shared_task(name="probes.rollup", ignore_result=True)
def probes_rollup_task() -> int:
    return services.rollups_refresh()


@shared_task(name="probes.cleanup", ignore_result=True)
def probes_cleanup_task() -> dict:
    return services.probes_cleanup()
