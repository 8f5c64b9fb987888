"""The production settings plus the test-only slow task (tests/deploy/slow_task.py)."""

from readiness.settings import *  # noqa: F403
from readiness.settings import CELERY_IMPORTS

CELERY_IMPORTS = [*CELERY_IMPORTS, "tests.deploy.slow_task"]
