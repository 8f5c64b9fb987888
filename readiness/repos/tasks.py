"""Celery tasks: thin, ids in, a service call out."""

from celery import shared_task

from readiness.core.outbox import outbox_current, outbox_task
from readiness.repos import services


# The outbox row is the request (readiness/core/outbox.py): the decorator claims it, renews its
# lease (and the run's) while the analysis runs, and a delivery whose row is taken does nothing.
@shared_task(name="repos.analysis_run", acks_late=True, reject_on_worker_lost=True)
@outbox_task(renew=services.analysis_renew_lease)
def analysis_run_task(run_id: int) -> None:
    # Only the holder of the outbox claim may take over a run left running (its holder is dead).
    outcome = services.analysis_execute(run_id=run_id, takeover=outbox_current() is not None)
    if outcome.run is None and outcome.retry_in is not None:
        # Another run of this repository is running: look again shortly (one analysis at a time).
        services.analysis_retry_later(run_id=run_id, delay=outcome.retry_in)


@shared_task(name="repos.sweep_stuck_runs")
def sweep_stuck_runs_task() -> dict:
    counts = services.runs_sweep_stuck()
    counts["resent"] = services.runs_resend_stale_queued()
    return counts


@shared_task(name="repos.scheduled_analysis")
def scheduled_analysis_task(repository_id: int) -> None:
    services.analysis_request_scheduled(repository_id=repository_id)


@shared_task(name="repos.reachability_check")
def reachability_check_task(repository_id: int) -> None:
    from readiness.repos.reachability import reachability_check

    reachability_check(repository_id=repository_id)
