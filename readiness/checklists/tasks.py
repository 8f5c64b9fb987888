"""Celery tasks: thin, a service call each."""

import logging

from celery import shared_task

from readiness.checklists.services import states
from readiness.core.logging import log_changes

logger = logging.getLogger(__name__)


@shared_task(name="checklists.refresh_expired")
def refresh_expired_task() -> int:
    """Recompute the stored states in which an attestation fell due or a waiver expired.

    Pages recompute on read too (the dashboard for its team, the badge for its repository), so
    this periodic job only keeps e-mails and the API fresh between visits.
    """
    refreshed = states.checklist_states_refresh_expired()
    log_changes(logger, "checklist states past an expiry", {"repositories recomputed": refreshed})
    return refreshed
