"""The Celery application. Tasks live in each app's tasks.py and stay thin: ids in, a service call."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readiness.settings")

app = Celery("readiness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker records a heartbeat in the database so GET /ready can tell a worker is alive, and
# relays the outbox (readiness/core/outbox.py) so no request for work waits on a lost message.
from readiness.core.heartbeat import HeartbeatStep, OutboxRelayStep  # noqa: E402

app.steps["worker"].add(HeartbeatStep)
app.steps["worker"].add(OutboxRelayStep)

# Work-folder cleanup at start, git processes killed at stop.
import readiness.core.worker_hooks  # noqa: E402, F401
