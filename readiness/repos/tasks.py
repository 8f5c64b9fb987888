"""Celery tasks: thin, ids in, a service call out."""

from celery import shared_task

from readiness.repos import services


@shared_task(name="repos.analysis_run", acks_late=True)
def analysis_run_task(run_id: int) -> None:
    services.analysis_execute(run_id=run_id)
