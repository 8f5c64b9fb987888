import logging

from celery import shared_task

from readiness.core.logging import log_changes
from readiness.core.outbox import outbox_current, outbox_task
from readiness.teams import invitations, services

logger = logging.getLogger(__name__)


@shared_task(name="teams.prune_activity")
def prune_activity() -> int:
    removed = services.activity_prune()
    log_changes(logger, "audit log past its retention", {"entries removed": removed})
    return removed


@shared_task(name="teams.invitation_email", acks_late=True, reject_on_worker_lost=True)
@outbox_task()
def invitation_email_task(invitation_id: int, stamp: int) -> None:
    """One invitation e-mail, requested by its outbox row (routed to the "email" queue): a second
    delivery finds the row taken or done; a transient SMTP failure arms the row again with backoff."""
    current = outbox_current()
    retry_in = invitations.invitation_email_send(
        invitation_id=invitation_id, stamp=stamp, attempt=current.attempts if current else 1
    )
    if retry_in is not None and current is not None:
        invitations.invitation_email_retry_later(invitation_id=invitation_id, stamp=stamp, delay=retry_in)
