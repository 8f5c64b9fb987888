"""Soak of ``make run``'s embedded stack: honcho with Procfile.dev (runserver, worker, beat) on
SQLite and the filesystem broker, as a developer starts it.

    python -m tests.faults.soak --minutes 120 --port 17080 [--src DIR] [--out FILE]

Every minute it asks for an analysis of each of three repositories through the API (one request
while the previous run may still be queued, so coalescing is exercised too); an endpoint pointing
at the stack's own /health is probed every 15 s by beat's dispatch; /ready is read each minute.
At the end it stops honcho with Ctrl-C (as a developer would), then checks, from the database:
honcho never stopped by itself, every request got a 2xx, every run is terminal and succeeded, no
repository had two runs running at once, probes kept coming (at most one missed interval), and
prints one JSON summary line (also written to --out). Exit status 0 only when all of that holds.

``--src`` runs a copy of the code (``git archive`` of a commit) so edits to the working tree during
a long soak cannot make runserver reload.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP = r"""
import json
from readiness.api.services import token_create
from readiness.core.models import AllowedNetwork
from readiness.endpoints.services import endpoint_register
from readiness.repos.models import Repository
from readiness.pipeline.registration import repository_register
from django.contrib.auth import get_user_model
port = int("PORT")
user = get_user_model().objects.get(username="demo")
first = Repository.objects.get(name="sample-service")
team = first.team
repos = [first] + [
    Repository.objects.filter(team=team, name=f"sample-{n}").first()
    or repository_register(team=team, name=f"sample-{n}", url=first.url, branch="main")
    for n in (2, 3)
]
AllowedNetwork.objects.get_or_create(target="127.0.0.1", port=port, defaults={"reason": "soak"})
if not first.endpoints.exists():
    endpoint_register(repository=first, name="self", url=f"http://127.0.0.1:{port}/health", interval_s=15)
_, plaintext = token_create(name="soak", created_by=user, team=team)
print(json.dumps({"token": plaintext, "team": team.slug, "repos": [r.slug for r in repos]}))
"""

CHECK = r"""
import json
from datetime import timedelta
from django.db.models import Count, Max, Min
from readiness.endpoints.models import ProbeRecord
from readiness.repos.models import AnalysisRun
runs = AnalysisRun.objects.all()
by_status = dict(runs.values_list("status").annotate(n=Count("id")))
overlaps = 0
for repo_id in set(runs.values_list("repository_id", flat=True)):
    spans = sorted(runs.filter(repository_id=repo_id, started_at__isnull=False, finished_at__isnull=False)
                   .values_list("started_at", "finished_at"))
    overlaps += sum(1 for a, b in zip(spans, spans[1:]) if b[0] < a[1])
probes = list(ProbeRecord.objects.order_by("at").values_list("at", flat=True))
gaps = [(b - a).total_seconds() for a, b in zip(probes, probes[1:])]
durations = [r.duration_s for r in runs if r.duration_s is not None]
print(json.dumps({
    "runs": runs.count(), "by_status": by_status, "overlapping_runs": overlaps,
    "errors": sorted(set(runs.exclude(error="").values_list("error", flat=True)))[:5],
    "probes": len(probes), "probes_ok": ProbeRecord.objects.filter(ok=True).count(),
    "longest_probe_gap_s": max(gaps) if gaps else None,
    "run_duration_median_s": sorted(durations)[len(durations) // 2] if durations else None,
}))
"""


def manage(src: Path, env: dict, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        [str(src / ".venv/bin/python"), "manage.py", *args], cwd=src, env=env, capture_output=True, text=True
    )
    if check and result.returncode:
        raise SystemExit(f"manage.py {args[0]} failed: {result.stderr[-2000:]}")
    return result.stdout


def api(method: str, url: str, token: str, timeout: float = 10) -> tuple[int, dict | None]:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:
        return 0, None


def prepare_source(commit: str | None, target: Path) -> Path:
    """A copy of the code at ``commit`` (the working tree when None), sharing this .venv."""
    if commit is None:
        return ROOT
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--port", type=int, default=17080)
    parser.add_argument("--commit", help="run a copy of this commit instead of the working tree")
    parser.add_argument("--out", type=Path)
    options = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="readiness-soak-"))
    src = prepare_source(options.commit, work / "src")
    var = work / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TEST_", "PYTEST_"))}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "RATE_LIMIT_REDIS_URL", "SECRET_KEY"):
        env.pop(name, None)
    # What the Makefile's RUN_ENV sets for `make run`, with a var/ of its own.
    env.update(
        DEBUG="true",
        READINESS_ALLOW_LOCAL_SOURCES="true",
        PORT=str(options.port),
        SITE_URL=f"http://127.0.0.1:{options.port}",
        READINESS_VAR_DIR=str(var),
        PYTHONUNBUFFERED="1",
        RATE_LIMIT_API="off",
    )
    manage(src, env, "migrate", "--noinput")
    manage(src, env, "seed_demo")
    setup_code = SETUP.replace("PORT", str(options.port))
    setup = json.loads(manage(src, env, "shell", "-c", setup_code).splitlines()[-1])
    log = (work / "honcho.log").open("wb")
    honcho = subprocess.Popen(
        [str(src / ".venv/bin/honcho"), "-f", "Procfile.dev", "start"],
        cwd=src,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{options.port}"
    up_by = time.monotonic() + 60
    while time.monotonic() < up_by and honcho.poll() is None:  # runserver needs a few seconds
        try:
            urllib.request.urlopen(f"{base}/health", timeout=2).close()
            break
        except OSError:
            time.sleep(0.5)
    started = time.monotonic()
    deadline = started + options.minutes * 60
    statuses: dict[str, int] = {}
    ready_failures, requests, honcho_died_at = 0, 0, None
    print(f"soak: {options.minutes:g} min against {base}, work dir {work}", flush=True)
    try:
        while time.monotonic() < deadline:
            tick = time.monotonic()
            if honcho.poll() is not None:
                honcho_died_at = round(tick - started)
                break
            for slug in setup["repos"]:
                url = f"{base}/api/v1/teams/{setup['team']}/repos/{slug}/runs"
                status, _ = api("POST", url, setup["token"])
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                requests += 1
            with_ready = urllib.request.Request(f"{base}/ready")
            try:
                urllib.request.urlopen(with_ready, timeout=5).close()
            except (urllib.error.URLError, OSError):
                ready_failures += 1
            minute = int((tick - started) // 60)
            print(f"soak: minute {minute}: requests {requests} statuses {statuses}", flush=True)
            time.sleep(max(0.0, 60 - (time.monotonic() - tick)))
        # Let the last requests finish before stopping (runs take a few seconds).
        drain_until = time.monotonic() + 120
        while honcho.poll() is None and time.monotonic() < drain_until:
            pending = json.loads(manage(src, env, "shell", "-c", CHECK).splitlines()[-1])["by_status"]
            if not pending.get("queued") and not pending.get("running"):
                break
            time.sleep(5)
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C, as a developer stops make run
            try:
                honcho.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(honcho.pid, signal.SIGKILL)
                honcho.wait()
        log.close()
    facts = json.loads(manage(src, env, "shell", "-c", CHECK).splitlines()[-1])
    log_text = (work / "honcho.log").read_text(errors="replace")
    summary = {
        "minutes": options.minutes,
        "honcho_stopped_by_itself_at_s": honcho_died_at,
        "api_requests": requests,
        "api_statuses": statuses,
        "ready_failures": ready_failures,
        "json_decode_errors_in_log": log_text.count("JSONDecodeError"),
        "tracebacks_in_log": log_text.count("Traceback (most recent call last)"),
        **facts,
    }
    expected_probes = options.minutes * 60 / 15
    summary["ok"] = bool(
        honcho_died_at is None
        and set(statuses) <= {"202"}
        and not facts["by_status"].get("queued")
        and not facts["by_status"].get("running")
        and not facts["by_status"].get("failed")
        and facts["overlapping_runs"] == 0
        and facts["probes"] >= expected_probes * 0.9
        and summary["json_decode_errors_in_log"] == 0
    )
    line = json.dumps(summary)
    print(line, flush=True)
    if options.out:
        options.out.write_text(line + "\n")
    if summary["ok"]:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"soak: kept {work} for inspection (honcho.log)", flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
