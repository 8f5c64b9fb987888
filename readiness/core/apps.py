from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "readiness.core"
    label = "core"

    def ready(self):
        # Configure the Celery app in every Django process so tasks enqueue through it, and
        # register the start-up checks.
        from readiness import celery  # noqa: F401
        from readiness.core import checks  # noqa: F401
