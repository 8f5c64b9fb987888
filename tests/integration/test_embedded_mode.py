"""`make run`'s embedded settings (SQLite + filesystem broker) migrate and process a task."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_sqlite_and_filesystem_broker_process_an_analysis(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY")
    }
    env.update(
        DEBUG="true",
        READINESS_ALLOW_LOCAL_SOURCES="true",
        READINESS_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="readiness.settings",
        WORKER_HEARTBEAT_INTERVAL="1",
    )

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    migrated = manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    seeded = manage("seed_demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "password:" in seeded.stdout
    enqueue = manage(
        "shell",
        "-c",
        "from readiness.repos.models import Repository;"
        "from readiness.repos.services import analysis_request;"
        "print(analysis_request(repository=Repository.objects.get()).pk)",
    )
    assert enqueue.returncode == 0, enqueue.stderr
    run_id = int(enqueue.stdout.strip().splitlines()[-1])

    worker = subprocess.Popen(
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
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    db = tmp_path / "var" / "readiness.sqlite3"
    status = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sqlite3.connect(db, timeout=10) as conn:
                row = conn.execute(
                    "SELECT status, error FROM repos_analysisrun WHERE id = ?", (run_id,)
                ).fetchone()
            status = row[0]
            if status in ("succeeded", "failed"):
                break
            time.sleep(0.3)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            output = worker.communicate()[0].decode(errors="replace")
    assert status == "succeeded", f"run ended as {status}: {row[1]}\n{output[-2000:]}"
    assert worker.returncode == 0, output[-2000:]
    with sqlite3.connect(db) as conn:
        (results,) = conn.execute(
            "SELECT COUNT(*) FROM repos_checkresult WHERE run_id = ?", (run_id,)
        ).fetchone()
        (beats,) = conn.execute("SELECT COUNT(*) FROM core_workerheartbeat").fetchone()
    assert results > 0
    assert beats == 1
