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


def logging_config(*, fmt: str = "json", level: str = "INFO") -> dict:
    """A dictConfig for Django's LOGGING and gunicorn's ``logconfig_dict`` alike."""
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
        "filters": {"context": {"()": "readiness.core.logging.ContextFilter"}},
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
        },
    }
