"""The CPU a request costs the web processes of this checkout and of another commit, side by side.

Both run under gunicorn (docker/gunicorn.conf.py) on the same seeded cluster, and every request of
the load mix (locustfile.py's pages and weights) goes to both, in random order, from a few client
threads. Whatever else the machine does slows both alike, so their ratio holds where absolute times
move by a third from one run to the next (docs/reliability.md, "Load").

    .venv/bin/python bench/load/paired.py --baseline REF --workdir DIR [--requests 1000] [--chunks 5]

DIR holds a cluster kept by `bench/load/run.py --keep --workdir DIR` (make load). The baseline is
checked out in a temporary git worktree, removed afterwards. Prints each chunk's CPU per request
(gunicorn and its workers, psutil) for both and the median ratio, this checkout / baseline.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from run import PG_PORT, SESSION, _tree_cpu, _up, server_env  # noqa: E402

from tests.faults.stack import BIN, Postgres, wait_until  # noqa: E402

PORTS = {"baseline": 17581, "this": 17582}
REPOS = 2000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="a commit, branch or tag to compare with")
    parser.add_argument("--workdir", type=Path, required=True, help="a cluster kept by run.py --keep")
    parser.add_argument("--requests", type=int, default=1000, help="requests to each checkout")
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    options = parser.parse_args()
    if not (options.workdir / f"pg-{PG_PORT}").exists():
        parser.error(
            f"no seeded cluster in {options.workdir}: run bench/load/run.py --keep --workdir DIR first"
        )
    scratch = Path(tempfile.mkdtemp(prefix="readiness-paired-"))
    baseline = scratch / "baseline"
    added = subprocess.run(["git", "worktree", "add", "--detach", str(baseline), options.baseline],
                           cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    if added.returncode:
        shutil.rmtree(scratch, ignore_errors=True)
        parser.error(f"cannot check out {options.baseline!r}: {added.stderr.strip()}")
    pg = Postgres(PG_PORT, options.workdir)
    pg.start()
    servers: dict[str, subprocess.Popen] = {}
    try:
        trees = {"baseline": baseline, "this": ROOT}
        for name, tree in trees.items():
            env = server_env(pg.url, scratch / f"static-{name}", PORTS[name])
            subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                           cwd=tree, env=env, check=True)  # fmt: skip
            servers[name] = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config", "docker/gunicorn.conf.py", "readiness.wsgi:application"],
                cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", SESSION], cwd=ROOT,
                             env=server_env(pg.url, scratch / "static-this", 0), check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        session = json.loads(out.strip().splitlines()[-1])["session"]
        for name in servers:
            wait_until(lambda name=name: _up(urllib.request, PORTS[name]), 60, what=f"{name} gunicorn up")
        rng = random.Random(7)  # noqa: S311 - which pages, not security
        _send(_mix(rng, 60), session, options.clients, rng)  # warm both: templates, connections
        ratios = []
        for chunk in range(options.chunks):
            paths = _mix(rng, options.requests // options.chunks)
            before = {name: _tree_cpu(proc.pid) for name, proc in servers.items()}
            _send(paths, session, options.clients, rng)
            cpu = {
                name: (_tree_cpu(proc.pid) - before[name]) * 1000 / len(paths)
                for name, proc in servers.items()
            }
            ratios.append(cpu["this"] / cpu["baseline"])
            print(f"chunk {chunk + 1}: baseline {cpu['baseline']:5.1f} ms, this {cpu['this']:5.1f} ms"
                  f" a request: {ratios[-1]:.3f}", flush=True)  # fmt: skip
        median = statistics.median(ratios)
        print(f"CPU a request of the web processes, this checkout / {options.baseline}: median {median:.3f}"
              f" over {options.chunks} chunks of {len(paths)} requests")  # fmt: skip
    finally:
        for proc in servers.values():
            proc.terminate()
            proc.wait(30)
        pg.stop("fast")
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _mix(rng: random.Random, count: int) -> list[str]:
    """The pages of locustfile.py in its proportions: dashboard, repository, checklist 3 : 3 : 3,
    compare 1."""
    paths: list[str] = []
    while len(paths) < count:
        repo = f"service-{rng.randrange(REPOS):05d}"
        paths += [f"/t/bench/dashboard/?page={rng.randint(1, REPOS // 25)}" for _ in range(3)]
        paths += [f"/t/bench/r/{repo}/"] * 3 + [f"/t/bench/r/{repo}/checklists/"] * 3
        paths.append(f"/t/bench/r/{repo}/compare/")
    return paths[:count]


def _send(paths: list[str], session: str, clients: int, rng: random.Random) -> None:
    pending = iter(paths)
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        connections = {
            name: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for name, port in PORTS.items()
        }
        while True:
            with lock:
                path = next(pending, None)
                order = list(PORTS) if rng.random() < 0.5 else list(reversed(PORTS))
            if path is None:
                return
            for name in order:
                connection = connections[name]
                connection.request("GET", path, headers={"Cookie": f"sessionid={session}"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(f"{name} {path}: {response.status}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, the first: {failures[0]}")


if __name__ == "__main__":
    sys.exit(main())
