"""Celery tasks for weekly reports: thin, ids in, a service call out (routed to the "email" queue)."""

import logging
from datetime import date, datetime

from celery import shared_task

from readiness.core.logging import log_changes
from readiness.core.outbox import outbox_current, outbox_task
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
@outbox_task()
def send_weekly_task(self, team_id: int, week_start: str) -> str:
    """Send one team's report of one week. The week's outbox row is the request: a second delivery
    finds it taken and returns, a worker that died mid-send is taken over (only recipients not yet
    sent get it). Transient SMTP failures retry with exponential backoff and full jitter by arming
    the row again; the attempt count lives on the report row (MAX_ATTEMPTS)."""
    week = date.fromisoformat(week_start)
    # Only the holder of the outbox claim may resume a "sending" row (its previous holder is dead).
    holds_claim = outbox_current() is not None
    outcome = services.report_deliver(team_id=team_id, week_start=week, takeover=holds_claim)
    if outcome.retry_in is not None:
        if not holds_claim:  # called directly or eagerly (no outbox row): Celery retries
            raise self.retry(exc=outcome.error, countdown=outcome.retry_in)
        services.report_retry_later(team_id=team_id, week_start=week, delay=outcome.retry_in)
    return outcome.report.status if outcome.report else "taken"
