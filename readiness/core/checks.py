"""System checks run at start-up (`manage.py check`, and before runserver, migrate, gunicorn via Django).

With the Redis broker, a message not acknowledged within the visibility timeout is delivered again.
Tasks acknowledge late (after running), so a timeout shorter than a task's time limit, or than a
countdown, would make Redis hand the same work to a second worker while the first is still on it.
"""

from django.conf import settings
from django.core.checks import Error, register

# The longest delay any task is scheduled with (retry backoff caps, see repos.services).
MAX_COUNTDOWN_S = 300


@register()
def visibility_timeout_check(app_configs, **kwargs):
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    longest = max(settings.CELERY_TASK_TIME_LIMIT, settings.ANALYSIS_RUN_LEASE, MAX_COUNTDOWN_S)
    if timeout > longest:
        return []
    return [
        Error(
            f"CELERY_VISIBILITY_TIMEOUT ({timeout} s) must be larger than the longest task time limit, "
            f"run lease or countdown ({longest} s).",
            hint="Raise CELERY_VISIBILITY_TIMEOUT, or lower ANALYSIS_SOFT_TIME_LIMIT / ANALYSIS_RUN_LEASE.",
            id="readiness.E001",
        )
    ]
