"""A real Celery worker, in a thread of the test process, consuming the real Redis broker."""

from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection

from readiness.celery import app


def _close_thread_connection(**kwargs):
    connection.close()  # the worker thread's connection would block dropping the test database


@contextmanager
def running_worker(*queues: str):
    """Use with a ``transactional_db`` test: the worker thread sees only committed rows."""
    task_postrun.connect(_close_thread_connection, weak=False)
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=1,
            perform_ping_check=False,
            shutdown_timeout=10,
            queues=list(queues),
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_thread_connection)


def deliver_outbox(*, task_prefix: str = "", now=None) -> int:
    """Run, in this process, the task of every due pending outbox row (whose task starts with
    ``task_prefix``) as a worker's delivery would: claim, work, done. The number of rows run."""
    from django.utils import timezone

    from readiness.core.models import OutboxMessage, OutboxState

    _import_task_modules()
    rows = list(
        OutboxMessage.objects.filter(
            state=OutboxState.PENDING, available_at__lte=now or timezone.now(), task__startswith=task_prefix
        ).order_by("pk")
    )
    for row in rows:
        app.tasks[row.task](*row.args, outbox_id=row.pk)
    return len(rows)


def _import_task_modules() -> None:
    """Register the apps' tasks as a worker does (not through Celery's loader, whose Django fix-up
    configures logging again and would drop pytest's capture handler)."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("readiness.") and find_spec(f"{config.name}.tasks"):
            import_module(f"{config.name}.tasks")


@contextmanager
def broker_unreachable():
    """While inside, every publish goes to a port where nothing listens: kombu's own connection is
    refused, as when Redis is stopped. Leaving the block is the broker coming back."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    original = app.send_task

    def refused(*args, **kwargs):
        with app.connection_for_write(dead) as connection:
            return original(*args, connection=connection, **kwargs)

    app.send_task = refused
    try:
        yield dead
    finally:
        del app.send_task  # back to the class's method
