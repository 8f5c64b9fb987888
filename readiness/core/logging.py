"""Structured logging: one JSON object per line (``LOG_FORMAT=json``) or plain text, with context.

Context comes from where it is known: the request id and user id from RequestIdMiddleware through
contextvars, the Celery task id and name from Celery's current task. This module imports neither
Django nor Celery, so docker/gunicorn.conf.py can use ``logging_config`` in gunicorn's master.
"""

from __future__ import annotations

import contextvars
import logging
import sys

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# Holds a callable: the user id is looked up when a line is logged (see RequestIdMiddleware).
user_id_var: contextvars.ContextVar = contextvars.ContextVar("user_id", default=None)

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"


class ContextFilter(logging.Filter):
    """Adds request_id/user_id (web) and task_id/task_name (workers) to records that lack them."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs 4xx/5xx after the middleware returned, with the request attached.
        request_id = request_id_var.get() or getattr(getattr(record, "request", None), "request_id", None)
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        user_id = user_id_var.get()
        user_id = user_id() if callable(user_id) else user_id
        if user_id is not None and not hasattr(record, "user_id"):
            record.user_id = user_id
        if not hasattr(record, "task_id"):
            task_id, task_name = _task_context(record)
            if task_id:
                record.task_id, record.task_name = task_id, task_name
        return True


def _task_context(record: logging.LogRecord) -> tuple[str | None, str | None]:
    # Celery's own "received"/"succeeded"/"failed" lines carry the task in a dict of arguments.
    args = record.args
    if record.name.startswith("celery.") and isinstance(args, dict) and "id" in args and "name" in args:
        return str(args["id"]), str(args["name"])
    # Only look when Celery is already loaded: the web process must not import it for a log line.
    state = sys.modules.get("celery._state")
    task = state.get_current_task() if state is not None else None
    request = getattr(task, "request", None)
    task_id = getattr(request, "id", None)
    return (task_id, task.name) if task_id else (None, None)


# Celery's own lines about a task: "received" (worker), "succeeded"/"retry" (trace), "sending due
# task" (beat). Failures are logged at WARNING or ERROR and are never touched.
_CELERY_TASK_LOGGERS = {"celery.worker.strategy", "celery.app.trace", "celery.beat"}


class QuietTasksFilter(logging.Filter):
    """Celery's INFO lines about periodic housekeeping tasks become DEBUG lines.

    Beat starts some tasks every few seconds (``probes.dispatch_due`` every 5 s): their "received",
    "succeeded" and "sending due task" lines would bury the lines that say what changed. Those
    tasks log their own INFO line when they change something (``log_changes``). With
    ``LOG_LEVEL=DEBUG`` the demoted lines still show, marked DEBUG.
    """

    def __init__(self, tasks=()):
        super().__init__()
        self.tasks = frozenset(tasks)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.name not in _CELERY_TASK_LOGGERS:
            return True
        args = record.args
        if isinstance(args, dict):
            name = args.get("name")
        elif isinstance(args, tuple) and args:
            name = args[-1] if record.name == "celery.beat" else None  # (entry name, task name)
        else:
            name = None
        if name not in self.tasks:
            return True
        # Attached to the logger, this runs once per record: dropped unless DEBUG is on, when it
        # goes to every handler marked DEBUG.
        if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def log_changes(logger: logging.Logger, what: str, counts: dict) -> None:
    """One line for a periodic task's outcome: INFO naming what changed, DEBUG when nothing did.

    ``log_changes(logger, "stuck runs", {"requeued": 2, "failed": 0})`` logs
    "stuck runs: 2 requeued" at INFO; all zeros log "stuck runs: nothing to do" at DEBUG."""
    changed = [f"{value} {key.replace('_', ' ')}" for key, value in counts.items() if value]
    if changed:
        logger.info("%s: %s", what, ", ".join(changed))
    else:
        logger.debug("%s: nothing to do", what)


def logging_config(*, fmt: str = "json", level: str = "INFO", quiet_tasks=()) -> dict:
    """A dictConfig for Django's LOGGING and gunicorn's ``logconfig_dict`` alike.

    ``quiet_tasks``: names of periodic tasks whose Celery bookkeeping lines are DEBUG lines."""
    if fmt == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        }
    else:
        formatter = {"format": PLAIN_FORMAT}
    console = {"handlers": ["console"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "readiness.core.logging.ContextFilter"},
            "quiet_tasks": {"()": "readiness.core.logging.QuietTasksFilter", "tasks": sorted(quiet_tasks)},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["context"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults print to the console only with DEBUG and e-mail ADMINS: send
            # everything to the root handler instead, in the one format.
            "django": {"handlers": [], "level": level, "propagate": True},
            "gunicorn.error": {**console, "level": level},
            "gunicorn.access": {**console, "level": "INFO"},
            # On the loggers, not a handler: the record is demoted once, before any handler sees it.
            **{name: {"filters": ["quiet_tasks"]} for name in sorted(_CELERY_TASK_LOGGERS)},
        },
    }
