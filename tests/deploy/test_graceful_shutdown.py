"""The web and worker tiers started exactly as docker/compose.yml starts them (same commands, same
gunicorn config), on this machine's PostgreSQL and Redis: they answer /health and /ready, and on
SIGTERM they drain: an in-flight request completes, a running task finishes, both exit 0 in time."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
from celery import Celery

from tests.deploy.processes import (
    ROOT,
    base_env,
    compose_command,
    compose_service,
    free_port,
    get,
    seconds,
    start,
    wait_for,
    wait_for_file,
)
from tests.deploy.slow_wsgi import SLOW_PATH

pytestmark = pytest.mark.integration

SLOW_SECONDS = 3


def json_lines(path) -> list[dict]:
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def stop(process: subprocess.Popen, within: float) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {within}s after SIGTERM") from None
    return code, time.monotonic() - started


def health_count(base: str) -> float:
    status, body, _ = get(f"{base}/metrics", headers={"Authorization": "Bearer deploy-test-token"})
    assert status == 200
    series = 'readiness_http_requests_total{method="GET",route="health",status="200"} '
    values = [line.removeprefix(series) for line in body.decode().splitlines() if line.startswith(series)]
    return float(values[0]) if values else 0.0


def worker_env(database_url, broker_url, tmp_path, settings_module):
    env = base_env(
        DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url, DJANGO_SETTINGS_MODULE=settings_module
    )
    service_env = compose_service("worker")["environment"]
    env["WORKER_METRICS_PORT"] = str(free_port())  # compose: 9808, alone in its container
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "worker-metrics")
    assert {"WORKER_METRICS_PORT", "PROMETHEUS_MULTIPROC_DIR"} <= set(service_env)
    return env


def test_web_drains_an_in_flight_request_on_sigterm(deploy_database_url, deploy_broker_url, tmp_path):
    worker = start(
        compose_command("worker"),
        worker_env(deploy_database_url, deploy_broker_url, tmp_path, "readiness.settings"),
        tmp_path / "worker.log",
    )
    port = free_port()
    command = compose_command("web")
    assert command == ["gunicorn", "--config", "docker/gunicorn.conf.py", "readiness.wsgi:application"]
    command[-1] = "tests.deploy.slow_wsgi:application"  # the same app plus one slow path
    env = base_env(
        DATABASE_URL=deploy_database_url,
        CELERY_BROKER_URL=deploy_broker_url,
        DJANGO_SETTINGS_MODULE="readiness.settings",
        ALLOWED_HOSTS="127.0.0.1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        METRICS_TOKEN="deploy-test-token",
        DEPLOY_TEST_MARKER_DIR=str(tmp_path),
    )
    web = start(command, env, tmp_path / "web.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health", process=web)
        wait_for(f"{base}/ready", within=60, process=web)
        healthcheck = [sys.executable, "docker/healthcheck.py", "web"]
        assert subprocess.run(healthcheck, cwd=ROOT, env=env, timeout=20).returncode == 0
        # /metrics sums every gunicorn process's counters (prometheus multiprocess mode).
        before = health_count(base)
        for _ in range(6):
            assert get(f"{base}/health")[0] == 200
        assert health_count(base) == before + 6

        answer = {}

        def slow_request():
            url = f"{base}{SLOW_PATH}?seconds={SLOW_SECONDS}"
            answer["status"], answer["body"], answer["headers"] = get(
                url, timeout=60, headers={"X-Request-ID": "drain-test-1"}
            )

        client = threading.Thread(target=slow_request)
        client.start()
        wait_for_file(tmp_path / "request-started")
        code, took = stop(web, within=seconds(compose_service("web")["stop_grace_period"]))
        client.join(timeout=10)
    finally:
        if web.poll() is None:
            web.kill()
        worker_code, _ = stop(worker, within=30)

    log = (tmp_path / "web.log").read_text(errors="replace")
    assert code == 0, log[-3000:]
    assert answer.get("status") == 200, log[-3000:]
    assert json.loads(answer["body"])["status"] == "ok"
    assert answer["headers"]["X-Request-ID"] == "drain-test-1"
    # Drained, not cut: gunicorn waited for the request, within its graceful_timeout (30 s).
    assert SLOW_SECONDS * 0.5 <= took < 30, took
    print(f"\ngunicorn drained an in-flight request and exited in {took:.2f}s")
    access = [
        line
        for line in json_lines(tmp_path / "web.log")
        if line.get("logger") == "gunicorn.access" and line.get("request_id") == "drain-test-1"
    ]
    assert len(access) == 1, log[-3000:]
    # The slow path hands over to Django as /health, so that is the path gunicorn logs.
    assert access[0]["status"] == 200 and access[0]["query"] == f"seconds={SLOW_SECONDS}"
    assert access[0]["duration_ms"] >= SLOW_SECONDS * 1000
    assert worker_code == 0


def test_worker_finishes_its_running_task_on_sigterm(
    deploy_database_url, deploy_broker_url, tmp_path, monkeypatch
):
    # Celery prefers CELERY_BROKER_URL from the environment (tests/settings.py sets it) to broker=.
    monkeypatch.setenv("CELERY_BROKER_URL", deploy_broker_url)
    env = worker_env(deploy_database_url, deploy_broker_url, tmp_path, "tests.deploy.worker_settings")
    env["DEPLOY_TEST_KEY_PREFIX"] = prefix = f"deploy-test-{uuid.uuid4().hex}:"
    worker = start(compose_command("worker"), env, tmp_path / "worker.log")
    app = Celery(broker=deploy_broker_url, broker_transport_options={"global_keyprefix": prefix})
    try:
        wait_for(f"http://127.0.0.1:{env['WORKER_METRICS_PORT']}/metrics", process=worker)
        quick, slow = tmp_path / "quick", tmp_path / "slow"
        quick.mkdir()
        slow.mkdir()
        app.send_task("deploy_test.slow", args=[str(quick), 0], queue="analysis")
        wait_for_file(quick / "task-done")
        time.sleep(0.5)  # the postrun signal counts just after the task body returns
        _, metrics, _ = get(f"http://127.0.0.1:{env['WORKER_METRICS_PORT']}/metrics")

        sent = app.send_task("deploy_test.slow", args=[str(slow), SLOW_SECONDS], queue="analysis")
        wait_for_file(slow / "task-started")
        code, took = stop(worker, within=seconds(compose_service("worker")["stop_grace_period"]))
    except AssertionError as exc:
        tail = (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"{exc}\n--- worker log ---\n{tail}") from exc
    finally:
        if worker.poll() is None:
            worker.kill()
        app.close()
        client = redis.Redis.from_url(deploy_broker_url)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)

    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert code == 0, log[-3000:]
    assert (slow / "task-done").exists(), "warm shutdown should let the running task finish"
    assert took < SLOW_SECONDS + 15, took
    print(f"\ncelery worker finished its running task and exited {took:.2f}s after SIGTERM")
    assert 'readiness_celery_tasks_total{state="success",task="deploy_test.slow"} 1.0' in metrics.decode()
    lines = json_lines(tmp_path / "worker.log")
    started = [line for line in lines if line.get("message") == "slow task started"]
    assert [(line["task_id"], line["task_name"]) for line in started][-1] == (sent.id, "deploy_test.slow")
