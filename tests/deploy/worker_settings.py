"""The production settings plus the test-only slow task (tests/deploy/slow_task.py).

Every Redis key of this worker carries DEPLOY_TEST_KEY_PREFIX, so two runs of the suite sharing a
Redis (or a developer's worker on the same database) never take each other's messages.
"""

import os

from readiness.settings import *  # noqa: F403
from readiness.settings import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_IMPORTS

CELERY_IMPORTS = [*CELERY_IMPORTS, "tests.deploy.slow_task"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": os.environ["DEPLOY_TEST_KEY_PREFIX"],
}
