"""Celery tasks for work that spans apps: thin, ids in, a pipeline call out.

The analysis task keeps its name ``repos.analysis_run`` (messages in flight, the ``repos.*`` route
to the analysis queue): the repos app enqueues it by that name.
"""

from celery import shared_task

from readiness.pipeline.analysis import analysis_execute


@shared_task(name="repos.analysis_run", acks_late=True, reject_on_worker_lost=True)
def analysis_run_task(run_id: int) -> None:
    outcome = analysis_execute(run_id=run_id)
    if outcome.run is None and outcome.retry_in is not None:
        # Another run of this repository is running: look again shortly (one analysis at a time).
        analysis_run_task.apply_async((run_id,), countdown=outcome.retry_in)
