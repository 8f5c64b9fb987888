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
