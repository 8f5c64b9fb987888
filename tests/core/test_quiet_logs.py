"""Periodic housekeeping logs at DEBUG; INFO lines say what changed (make run's log stays readable)."""

import io
import logging

import pytest

from readiness.core.logging import QuietTasksFilter, log_changes


@pytest.fixture
def log_lines(settings):
    """What one more handler on the root logger prints, with settings.LOGGING applied (as in every
    process), at a given root level."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    previous = root.level

    def lines(level=logging.INFO):
        root.setLevel(level)
        return buffer

    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


def test_settings_put_the_filter_on_celerys_task_loggers(settings):
    for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat"):
        # (Each dictConfig of LOGGING adds it again: harmless, the record is demoted once.)
        quiet = [f for f in logging.getLogger(name).filters if isinstance(f, QuietTasksFilter)]
        assert quiet and all(f.tasks == settings.LOG_QUIET_TASKS for f in quiet)


def test_every_beat_task_is_quiet_and_analyses_are_not(settings):
    beat_tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat_tasks | {"probes.run_batch"} == settings.LOG_QUIET_TASKS
    assert "repos.analysis_run" not in settings.LOG_QUIET_TASKS


@pytest.mark.django_db
def test_celerys_lines_for_a_periodic_no_op_are_debug_and_other_tasks_keep_theirs(log_lines):
    from readiness.endpoints.tasks import probes_dispatch_due_task
    from readiness.pipeline.tasks import analysis_run_task

    buffer = log_lines(logging.INFO)
    probes_dispatch_due_task.apply()  # nothing to probe
    analysis_run_task.apply((987654,))  # a run that does not exist: its own line says so
    text = buffer.getvalue()
    assert "probes.dispatch_due" not in text
    assert "INFO celery.app.trace Task repos.analysis_run[" in text and "succeeded" in text

    buffer = log_lines(logging.DEBUG)
    probes_dispatch_due_task.apply()
    text = buffer.getvalue()
    assert "DEBUG celery.app.trace Task probes.dispatch_due[" in text
    assert "DEBUG readiness.endpoints.tasks probes dispatched: 0 endpoints" in text


def test_beats_sending_line_and_failures(log_lines):
    buffer = log_lines(logging.INFO)
    beat = logging.getLogger("celery.beat")
    beat.info("Scheduler: Sending due task %s (%s)", "probes.dispatch_due", "probes.dispatch_due")
    beat.info("Scheduler: Sending due task %s (%s)", "nightly", "repos.scheduled_analysis")
    # A periodic task that fails is never hidden.
    logging.getLogger("celery.app.trace").error(
        "Task %(name)s[%(id)s] raised", {"name": "probes.rollup", "id": "1"}
    )
    lines = buffer.getvalue().splitlines()
    assert lines == [
        "INFO celery.beat Scheduler: Sending due task nightly (repos.scheduled_analysis)",
        "ERROR celery.app.trace Task probes.rollup[1] raised",
    ]


def test_log_changes_is_info_when_something_changed_and_debug_otherwise(log_lines):
    buffer = log_lines(logging.INFO)
    logger = logging.getLogger("readiness.test")
    log_changes(logger, "stuck runs", {"requeued": 0, "failed": 0})
    log_changes(logger, "weekly reports", {"enqueued": 2, "requeued": 0, "presumed_dead": 1})
    assert buffer.getvalue().splitlines() == [
        "INFO readiness.test weekly reports: 2 enqueued, 1 presumed dead"
    ]
