"""What a worker does at start and stop beyond Celery's own: leftovers of killed workers are removed,
and git processes still running when a worker stops are killed with it."""

import logging
from pathlib import Path

from celery.signals import worker_process_init, worker_process_shutdown, worker_ready, worker_shutting_down

logger = logging.getLogger(__name__)


@worker_ready.connect  # a worker starting (after a crash, a restart)
@worker_process_init.connect  # a pool process starting (billiard replaces a killed one at once)
def clean_work_dir(**kwargs) -> None:
    from django.conf import settings

    from readiness.sources.workdir import clean_orphans

    try:
        clean_orphans(Path(settings.READINESS_WORK_DIR))
    except OSError:
        logger.warning("could not clean the work directory", exc_info=True)


@worker_shutting_down.connect  # the main process (and the threads pool's tasks with it)
@worker_process_shutdown.connect  # each prefork child
def kill_git_processes(**kwargs) -> None:
    from readiness.sources.runner import kill_live_processes

    if killed := kill_live_processes():
        logger.warning("killed %d git process group(s) still running at shutdown", killed)
