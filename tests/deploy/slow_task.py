"""Test-only Celery task that takes a while, to prove a worker's warm shutdown finishes it."""

import logging
import time
from pathlib import Path

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="deploy_test.slow")
def slow(marker_dir: str, seconds: float) -> None:
    Path(marker_dir, "task-started").touch()
    logger.info("slow task started")
    time.sleep(seconds)
    Path(marker_dir, "task-done").touch()
    logger.info("slow task done")
