import logging

from celery import shared_task

from readiness.core.logging import log_changes
from readiness.teams import services

logger = logging.getLogger(__name__)


@shared_task(name="teams.prune_activity")
def prune_activity() -> int:
    removed = services.activity_prune()
    log_changes(logger, "audit log past its retention", {"entries removed": removed})
    return removed
