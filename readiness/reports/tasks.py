"""Celery tasks for weekly reports: thin, ids in, a service call out (routed to the "email" queue)."""

import logging
from datetime import date, datetime

from celery import shared_task

from readiness.core.logging import log_changes
from readiness.reports import services

logger = logging.getLogger(__name__)


@shared_task(name="reports.enqueue_due")
def enqueue_due_task(now: datetime | None = None) -> dict:
    """Beat, every five minutes: claim the teams whose report is due and enqueue one send each.
    ``now`` is for tests; beat passes nothing."""
    outcome = services.reports_enqueue_due(now=now)
    log_changes(logger, "weekly reports", outcome)
    return outcome


@shared_task(
    bind=True, name="reports.send_weekly", acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def send_weekly_task(self, team_id: int, week_start: str) -> str:
    """Send one team's report of one week. A second delivery, or a racing worker, finds the row
    taken and returns. Transient SMTP failures retry with exponential backoff and full jitter; the
    attempt count lives on the row (MAX_ATTEMPTS), so a task re-enqueued by the sweep keeps it."""
    outcome = services.report_deliver(team_id=team_id, week_start=date.fromisoformat(week_start))
    if outcome.retry_in is not None:
        raise self.retry(exc=outcome.error, countdown=outcome.retry_in)
    return outcome.report.status if outcome.report else "taken"
