"""Push webhook to new scores on the page: median and p95 over 20 pushes (issue 4's target: p95 < 5 s).

A real git repository served over HTTP on 127.0.0.1, a real Celery worker (Redis broker), a
throwaway PostgreSQL database. Each round commits a change, pushes it to the served repository,
posts a signed GitHub push webhook and waits until the run for that commit has stored its scores.

    .venv/bin/python bench/webhook_bench.py [--pushes 20]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from postgres import recreate_database  # noqa: E402  (bench/postgres.py)

from tests.sources.gitserver import GitHTTPServer, git, make_repo  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/readiness_webhook_bench"
DOCKERFILE = 'FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["gunicorn", "app:app"]\n'


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=20)
    pushes = parser.parse_args().pushes

    tmp = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    server = GitHTTPServer(root=tmp / "served").start()
    (tmp / "served").mkdir()
    make_repo(tmp / "served", "shop", {"Dockerfile": DOCKERFILE, "app.py": "print(0)\n"})
    work = tmp / "served" / "shop.work"
    git("remote", "add", "served", str(tmp / "served" / "shop.git"), cwd=work)

    recreate_database(DATABASE_URL)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="readiness.settings",
        DATABASE_URL=DATABASE_URL,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/13",
        SECRET_KEY="bench-only-secret-key",  # noqa: S106 - a throwaway database
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        READINESS_GIT_HTTP_HOSTS=server.host_port,
        READINESS_VAR_DIR=str(tmp / "var"),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        RATE_LIMIT_WEBHOOK="off",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from readiness.celery import app
    from readiness.core.models import AllowedNetwork
    from readiness.pipeline.registration import repository_register
    from readiness.repos import services
    from readiness.repos.models import AnalysisRun
    from readiness.teams.services import team_create

    app.control.purge()
    AllowedNetwork.objects.create(target="127.0.0.1", port=server.port, reason="benchmark")
    repo = repository_register(team=team_create(name="Bench"), name="shop", url=server.url("shop"))
    secret = services.webhook_secret_rotate(repository=repo)

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
        env=os.environ.copy(),
        start_new_session=True,
    )
    client = Client()
    latencies = []
    try:
        for n in range(1, pushes + 1):
            (work / "app.py").write_text(f"print({n})\n")
            git("commit", "-qam", f"change {n}", cwd=work)
            git("push", "-q", "served", "HEAD:main", cwd=work)
            sha = git("rev-parse", "HEAD", cwd=work)
            body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            response = client.post(
                f"/hooks/{repo.webhook_id}/",
                body,
                content_type="application/json",
                headers={
                    "X-Hub-Signature-256": signature,
                    "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": sha,
                },
            )
            assert response.status_code == 202, response.content
            deadline = started + 60
            while time.perf_counter() < deadline:
                if AnalysisRun.objects.filter(repository=repo, commit_sha=sha, status="succeeded").exists():
                    break
                time.sleep(0.02)
            else:
                raise SystemExit(f"push {n}: no scores after 60 s")
            latencies.append(time.perf_counter() - started)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        server.stop()
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"webhook -> scores visible over {len(latencies)} pushes: "
        f"median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s "
        f"(target p95 < 5 s: {'met' if p95 < 5 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
