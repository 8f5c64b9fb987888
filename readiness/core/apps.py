from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "readiness.core"
    label = "core"

    def ready(self):
        # Configure the Celery app in every Django process so tasks enqueue through it.
        import readiness.celery  # noqa: F401
