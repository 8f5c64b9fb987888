"""Celery tasks for work that spans apps: thin, ids in, a pipeline call out.

The analysis task keeps its name ``repos.analysis_run`` (messages in flight, the ``repos.*`` route
to the analysis queue): the repos app enqueues it by that name.
"""

from celery import shared_task

from readiness.core.outbox import outbox_current, outbox_task
from readiness.pipeline.analysis import analysis_execute
from readiness.repos.services import analysis_renew_lease, analysis_retry_later


# The outbox row is the request (readiness/core/outbox.py): the decorator claims it, renews its
# lease (and the run's) while the analysis runs, and a delivery whose row is taken does nothing.
@shared_task(name="repos.analysis_run", acks_late=True, reject_on_worker_lost=True)
@outbox_task(renew=analysis_renew_lease)
def analysis_run_task(run_id: int) -> None:
    # Only the holder of the outbox claim may take over a run left running (its holder is dead).
    outcome = analysis_execute(run_id=run_id, takeover=outbox_current() is not None)
    if outcome.run is None and outcome.retry_in is not None:
        # Another run of this repository is running: look again shortly (one analysis at a time).
        analysis_retry_later(run_id=run_id, delay=outcome.retry_in)
