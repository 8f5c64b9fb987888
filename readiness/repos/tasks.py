"""Celery tasks: thin, ids in, a service call out. The analysis task itself is readiness.pipeline.tasks
(it spans apps)."""

import logging

from celery import shared_task

from readiness.core.logging import log_changes
from readiness.core.outbox import outbox_task
from readiness.repos import services

logger = logging.getLogger(__name__)


@shared_task(name="repos.sweep_stuck_runs")
def sweep_stuck_runs_task() -> dict:
    counts = services.runs_sweep_stuck()
    counts["resent"] = services.runs_resend_stale_queued()
    log_changes(logger, "stuck runs", counts)
    return counts


@shared_task(name="repos.scheduled_analysis")
def scheduled_analysis_task(repository_id: int) -> None:
    services.analysis_request_scheduled(repository_id=repository_id)


@shared_task(name="repos.reachability_check", acks_late=True, reject_on_worker_lost=True)
@outbox_task()
def reachability_check_task(repository_id: int) -> None:
    from readiness.repos.reachability import reachability_check

    reachability_check(repository_id=repository_id)


# The backfill's outbox row is the request (readiness/core/outbox.py); listing the commits clones
# them (no file contents), then each commit's run goes through the analysis outbox.
@shared_task(name="repos.backfill", acks_late=True, reject_on_worker_lost=True)
@outbox_task()
def backfill_task(repository_id: int) -> None:
    from readiness.repos.backfill import backfill_execute

    backfill_execute(repository_id=repository_id)
