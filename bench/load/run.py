"""Load: Locust, headless and bounded, against gunicorn (docker/gunicorn.conf.py, as the image runs
it) on the 2,000-repository data set, in a PostgreSQL cluster of its own (port 17532, removed
afterwards). Prints, per page, the client-side p50/p95/p99 from Locust and the server-side ones from
gunicorn's access log, with error counts and requests per second.

    .venv/bin/python bench/load/run.py [--users 50] [--seconds 60] [--wait 0.5,1.5] [--repos 2000] [--keep]

(make load). The machine's load average is printed before and after: quote it with the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.faults.stack import BIN, Postgres, wait_until  # noqa: E402

PG_PORT = 17532
WEB_PORT = 17580

SESSION = r"""
import json
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
user = get_user_model().objects.get(username="bench")
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
print(json.dumps({"session": s.session_key}))
"""


def page_of(path: str) -> str:
    if path.endswith("/dashboard/"):
        return "dashboard"
    if path.endswith("/checklists/"):
        return "checklist"
    if path.endswith("/compare/"):
        return "compare"
    return "repository"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument(
        "--wait", type=_wait, default="0.5,1.5", help="seconds between a user's pages: MIN,MAX"
    )
    parser.add_argument("--workdir", type=Path, help="reuse a seeded cluster kept with --keep")
    parser.add_argument("--keep", action="store_true", help="keep the seeded cluster for another run")
    options = parser.parse_args()

    reuse = options.workdir is not None and (options.workdir / f"pg-{PG_PORT}").exists()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="readiness-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)  # noqa: S103 - the postgres user reaches its cluster folder
    pg = Postgres(PG_PORT, workdir)
    if reuse:
        pg.start()
    else:
        pg.init()
    env = server_env(pg.url, workdir / "static", WEB_PORT)
    gunicorn = None
    try:
        subprocess.run(
            [sys.executable, "bench/dashboard_bench.py", "--repos", str(options.repos), "--requests", "3"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                       cwd=ROOT, env=env, check=True)  # fmt: skip
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", SESSION], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True).stdout  # fmt: skip
        session = json.loads(out.strip().splitlines()[-1])["session"]
        access_log = workdir / "gunicorn.log"
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "docker/gunicorn.conf.py", "readiness.wsgi:application"],
            cwd=ROOT, env=env, stdout=access_log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        import urllib.request

        wait_until(lambda: _up(urllib.request, WEB_PORT), 60, what="gunicorn up")
        print(f"load average before: {os.getloadavg()}", flush=True)
        cpu_before = {"web": _tree_cpu(gunicorn.pid), "db": _tree_cpu(pg.pid())}
        csv_prefix = workdir / "locust"
        generator_before = _children_cpu()
        subprocess.run(
            [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
             "-u", str(options.users), "-r", str(max(1, options.users // 5)), "-t", f"{options.seconds}s",
             "--host", f"http://127.0.0.1:{WEB_PORT}", "--csv", str(csv_prefix), "--only-summary"],
            cwd=ROOT, check=False,
            env={**env, "LOAD_SESSION": session, "LOAD_REPOS": str(options.repos), "LOAD_WAIT": options.wait},
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"load average after: {os.getloadavg()}", flush=True)
        generator = _children_cpu() - generator_before
        cpu = {
            "web": _tree_cpu(gunicorn.pid) - cpu_before["web"],
            "db": _tree_cpu(pg.pid()) - cpu_before["db"],
        }
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(30)
        pg.stop("fast")
    report(csv_prefix, access_log, options, cpu)
    # Locust shares the cores it measures: what it took is capacity the server did not have.
    share = 100 * generator / options.seconds / 2
    print(f"Locust itself (same machine): {generator:.1f} CPU s, {share:.0f} % of 2 cores")
    if not options.keep:
        import shutil

        pg.stop("immediate")
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept the seeded cluster: --workdir {workdir}")
    return 0


def server_env(database_url: str, static_root: Path, port: int) -> dict:
    """The environment of a web process on the load cluster (also bench/load/paired.py's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "TEST_"))}
    env.update(
        BENCH_DATABASE_URL=database_url,
        DATABASE_URL=database_url,
        SECRET_KEY="load-secret-key",  # noqa: S106 - a throwaway server's
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",  # nothing on these pages publishes
        RATE_LIMIT_REDIS_URL="redis://127.0.0.1:1/0",
        FIELD_ENCRYPTION_KEYS="wDWfX_R29AxV4zuox8DHGa7BZHFVf0Q-t2uJkhVgbT4=",
        STATIC_ROOT=str(static_root),
        LOG_FORMAT="json",
        PORT=str(port),
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    return env


def _wait(text: str) -> str:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected MIN,MAX in seconds, such as 0.5,1.5; got {text!r}"
        ) from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX; got {text!r}")
    return f"{low},{high}"


def _up(urllib_request, port: int) -> bool:
    try:
        with urllib_request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid: int) -> float:
    """CPU seconds used by a process and its children, the live ones and those already reaped (a
    gunicorn worker recycled after max_requests, a PostgreSQL backend that closed): what the run cost
    the machine, whatever else shared it."""
    import psutil  # Locust's own dependency

    try:
        root = psutil.Process(pid)
        user, system, children_user, children_system = root.cpu_times()[:4]
        total = user + system + children_user + children_system
        children = root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    for child in children:
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:  # exited meanwhile: counted in the parent's children times
            continue
    return total


def report(csv_prefix: Path, access_log: Path, options, cpu: dict) -> None:
    server: dict[str, list[float]] = defaultdict(list)
    server_errors: dict[str, int] = defaultdict(int)
    for line in access_log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        path = entry.get("path") or ""
        if "duration_ms" not in entry or not path.startswith("/t/"):
            continue
        page = page_of(path)
        server[page].append(entry["duration_ms"])
        if entry.get("status", 200) >= 400:
            server_errors[page] += 1
    print(
        f"\n{options.users} users waiting {options.wait} s, {options.seconds} s, {options.repos} repositories"
    )
    print(f"{'page':<11} {'reqs':>6} {'err':>4} {'req/s':>6} | client p50/p95/p99 ms | server p50/p95/p99 ms")
    with open(f"{csv_prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"]
            if name == "Aggregated" or name not in server:
                continue
            times = server[name]
            rate = float(row["Requests/s"])
            client = f"{row['50%']:>5} / {row['95%']:>5} / {row['99%']:>5}"
            p50, p95, p99 = statistics.median(times), percentile(times, 0.95), percentile(times, 0.99)
            print(
                f"{name:<11} {row['Request Count']:>6} {row['Failure Count']:>4} {rate:>6.1f} | {client}"
                "     |"
                f" {p50:>5.0f} / {p95:>5.0f} / {p99:>5.0f}  (server errors {server_errors[name]})"
            )
    served = sum(len(times) for times in server.values())
    if served:
        per_request = {name: seconds * 1000 / served for name, seconds in cpu.items()}
        both = sum(per_request.values())
        print(
            f"CPU per request: {both:.1f} ms (gunicorn {per_request['web']:.1f} + PostgreSQL"
            f" {per_request['db']:.1f}) over {served} requests: {2000 / both:.0f} requests/s fill 2 cores"
        )


if __name__ == "__main__":
    sys.exit(main())
