"""kill -9 of a worker mid-run: the run still reaches exactly one terminal state, with no duplicates."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from readiness.celery import app
from readiness.core.models import AllowedNetwork
from readiness.pipeline.analysis import analysis_execute
from readiness.repos import services
from readiness.repos.models import AnalysisRun, Repository, RunStatus, Trigger
from tests.factories import RepositoryFactory
from tests.sources.gitserver import SilentServer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def start_worker_process(tmp_path, extra_env):
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="readiness.settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=app.conf.broker_url,
        READINESS_VAR_DIR=str(tmp_path / "var"),
        READINESS_ALLOW_LOCAL_SOURCES="true",
        **extra_env,
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "readiness",
            "worker",
            "--pool=solo",
            "--queues=analysis",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_status(run_id, statuses, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = AnalysisRun.objects.get(pk=run_id).status
        if status in statuses:
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} never reached {statuses}; it is {status}")


def stop(worker, sig=signal.SIGTERM):
    os.killpg(worker.pid, sig)
    return worker.communicate(timeout=30)[0].decode(errors="replace")


def test_kill_9_mid_run_ends_in_one_terminal_state(tmp_path, sample_repo_dir):
    app.control.purge()
    silent = SilentServer()  # git hangs on it, keeping the run in "running" while we kill the worker
    AllowedNetwork.objects.create(target="127.0.0.1", port=silent.port, reason="test")
    repo = RepositoryFactory(url=silent.url("hang"))
    env = {
        "READINESS_GIT_HTTP_HOSTS": f"127.0.0.1:{silent.port}",
        "GIT_FETCH_TIMEOUT": "120",
        "ANALYSIS_RUN_LEASE": "1",
    }
    worker = start_worker_process(tmp_path, env)
    try:
        run = services.analysis_request(repository=repo)
        wait_for_status(run.pk, {RunStatus.RUNNING})
    finally:
        stop(worker, signal.SIGKILL)
        silent.stop()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.attempts == 1

    # The repository is fixed meanwhile; the sweeper finds the dead worker's run past its lease.
    Repository.objects.filter(pk=repo.pk).update(url=str(sample_repo_dir))
    time.sleep(1.1)
    assert services.runs_sweep_stuck() == {"requeued": 1, "failed": 0}
    worker = start_worker_process(tmp_path, {})
    try:
        wait_for_status(run.pk, {RunStatus.SUCCEEDED, RunStatus.FAILED})
    finally:
        output = stop(worker)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error + output[-2000:]
    assert run.attempts == 2
    ids = list(run.check_results.values_list("check_id", flat=True))
    assert ids and len(ids) == len(set(ids))
    # A late redelivery of the original message finds the run finished and does nothing.
    assert analysis_execute(run_id=run.pk).run is None


def test_a_webhook_and_a_button_press_at_once_make_one_run_plus_at_most_one_follow_up():
    repo = RepositoryFactory()
    AnalysisRun.objects.create(repository=repo, status=RunStatus.RUNNING)
    barrier = threading.Barrier(4)
    made = []

    def trigger(kind):
        barrier.wait()
        made.append(services.analysis_request(repository=repo, trigger=kind).pk)
        connection.close()

    threads = [threading.Thread(target=trigger, args=(k,)) for k in [Trigger.WEBHOOK, Trigger.MANUAL] * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    app.control.purge()  # nothing consumes these here
    assert len(set(made)) == 1
    assert repo.runs.filter(status=RunStatus.QUEUED).count() == 1
    assert repo.runs.count() == 2
