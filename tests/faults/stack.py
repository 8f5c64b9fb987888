"""A copy of the production layout on this machine, for fault experiments: its OWN Redis and
PostgreSQL (started here on ports 17xxx, removed afterwards; the shared :6379 and :5432 are never
touched), gunicorn with docker/gunicorn.conf.py, a Celery worker (prefork, as compose runs it), a
prober and beat, and a git HTTP server and an SMTP server of its own.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import dataclass, field
from pathlib import Path
from wsgiref.simple_server import make_server

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(sys.executable).parent
PG_BIN = Path(shutil.which("pg_ctl") or "/usr/local/bin/pg_ctl").parent


def wait_until(predicate, within: float, step: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + within
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {within:g}s")
        time.sleep(step)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Redis:
    def __init__(self, port: int, workdir: Path):
        self.port, self.dir, self.proc = port, workdir / f"redis-{port}", None
        self.dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # AOF as compose runs it: queued messages survive a restart.
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        argv += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        argv += ["--maxmemory-policy", "noeviction"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _port_open(self.port), 10, what="redis up")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


class Postgres:
    """initdb + pg_ctl as the postgres user, on its own port and socket folder under /tmp."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.dir = workdir / f"pg-{port}"
        self.log = workdir / f"pg-{port}.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/readiness"

    def _as_postgres(self, *argv: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, check=False)

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(self.dir.parent, "postgres", "postgres")
        result = self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                                   "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        if result.returncode:
            raise RuntimeError(result.stderr)
        self.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qc",
                        "CREATE DATABASE readiness"], check=True, capture_output=True)  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        result = self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.log),
                                   "-o", options, "-w", "start")  # fmt: skip
        if result.returncode:
            raise RuntimeError(result.stderr + self.log.read_text()[-2000:])

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def pid(self) -> int:
        return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        os.killpg(os.getpgid(self.pid()), signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(os.getpgid(self.pid()), signal.SIGCONT)


class SlowGit:
    """A git HTTP server (tests/sources/gitserver.py) on our port that waits ``delay_s`` before
    answering the first request of each fetch of a repository named slow-* (its ref list): a run
    that is mid-fetch for a while."""

    def __init__(self, port: int, root: Path, delay_s: float):
        from tests.sources.gitserver import GitHTTPServer, _QuietHandler, _ThreadingWSGIServer

        self.root, self.delay_s = root, delay_s
        root.mkdir(parents=True, exist_ok=True)
        self.server = GitHTTPServer(root=root)
        self.server._server.server_close()
        outer = self

        def app(environ, start_response):
            path = environ.get("PATH_INFO", "")
            if path.lstrip("/").startswith("slow-") and path.endswith("/info/refs"):
                time.sleep(outer.delay_s)
            return outer.server._app(environ, start_response)

        self.server._server = make_server(
            "127.0.0.1", port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.server.port = port
        import threading

        self.server._thread = threading.Thread(
            target=self.server._server.serve_forever, args=(0.05,), daemon=True
        )
        self.port = port

    def start(self) -> SlowGit:
        self.server._thread.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def repo(self, name: str) -> str:
        from tests.sources.gitserver import make_repo

        make_repo(self.root, name, {"Dockerfile": 'FROM python:3.12-slim\nUSER app\nCMD ["app"]\n'})
        return f"http://127.0.0.1:{self.port}/{name}.git"


STACK_PORT_OFFSETS = (25, 32, 79, 80, 90)  # SMTP, PostgreSQL, Redis, gunicorn, git over HTTP


def free_base_port(first: int = 17200, last: int = 17900, step: int = 100) -> int:
    """A base port whose stack ports are all free now (each bound and released here), so that two
    test runs on one machine, or a test run and ``make load``'s PostgreSQL, never share one."""
    import socket

    for base in range(first, last + 1, step):
        try:
            for offset in STACK_PORT_OFFSETS:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no free slot of stack ports between {first} and {last + 99}")


@dataclass
class Stack:
    base_port: int = 17100
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="readiness-faults-")))
    env_overrides: dict = field(default_factory=dict)
    procs: dict = field(default_factory=dict)

    def __post_init__(self):
        os.chmod(self.workdir, 0o755)  # noqa: S103 - the postgres user must reach its cluster folder
        self.redis = Redis(self.base_port + 79, self.workdir)
        self.pg = Postgres(self.base_port + 32, self.workdir)
        self.web_port = self.base_port + 80
        self.smtp_port = self.base_port + 25
        self.git = SlowGit(self.base_port + 90, self.workdir / "git", delay_s=8)
        self.logs = self.workdir / "logs"
        self.logs.mkdir()

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def env(self) -> dict:
        from tests.deploy.processes import base_env  # the containers' environment, as the deploy tests use

        env = {k: v for k, v in base_env().items() if not k.startswith("TEST_")}
        env.update(
            DJANGO_SETTINGS_MODULE="readiness.settings",
            SECURE_SSL_REDIRECT="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=f"http://127.0.0.1:{self.web_port}",
            DATABASE_URL=self.pg.url,
            CELERY_BROKER_URL=self.redis.url,
            FIELD_ENCRYPTION_KEYS="wDWfX_R29AxV4zuox8DHGa7BZHFVf0Q-t2uJkhVgbT4=",
            READINESS_ALLOW_LOCAL_SOURCES="true",
            READINESS_GIT_HTTP_HOSTS=f"127.0.0.1:{self.git.port}",
            READINESS_VAR_DIR=str(self.workdir / "var"),
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp_port}",
            EMAIL_TIMEOUT="3",
            LOG_FORMAT="plain",
            RATE_LIMIT_API="off",
            RATE_LIMIT_API_IP="off",
            WORKER_HEARTBEAT_INTERVAL="2",
            WORKER_HEARTBEAT_MAX_AGE="10",
            OUTBOX_RELAY_INTERVAL="5",
            OUTBOX_LEASE="15",
            OUTBOX_REPUBLISH_AFTER="15",
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="4",
            PORT=str(self.web_port),
        )
        env.update(self.env_overrides)
        return env

    def up(self) -> Stack:
        self.redis.start()
        self.pg.init()
        self.git.start()
        self.manage("migrate", "--noinput", "-v", "0")
        for role in ("web", "worker", "prober"):
            self.start(role)
        wait_until(lambda: self.get("/health")[0] == 200, 60, what="web up")
        wait_until(lambda: self.get("/ready")[0] == 200, 60, what="ready")
        return self

    def down(self) -> None:
        for role in list(self.procs):
            self.stop(role, sig=signal.SIGKILL)
        self.git.stop()
        self.redis.stop()
        self.pg.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    COMMANDS = {
        "web": ["gunicorn", "--config", "docker/gunicorn.conf.py", "readiness.wsgi:application"],
        "worker": ["celery", "--app=readiness", "worker", "--queues=analysis,email", "--hostname=analysis@%h",
                   "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle"],
        "prober": ["celery", "--app=readiness", "worker", "--queues=probes", "--hostname=probes@%h",
                   "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle"],
        "beat": ["celery", "--app=readiness", "beat", "--loglevel=INFO",
                 "--scheduler=django_celery_beat.schedulers:DatabaseScheduler"],
        "beat2": ["celery", "--app=readiness", "beat", "--loglevel=INFO",
                  "--scheduler=django_celery_beat.schedulers:DatabaseScheduler"],
    }  # fmt: skip

    def start(self, role: str) -> subprocess.Popen:
        command = [str(BIN / self.COMMANDS[role][0]), *self.COMMANDS[role][1:]]
        if role.startswith("beat"):
            command.append(f"--schedule={self.workdir / role}.db")
            command.append(f"--pidfile={self.workdir / role}.pid")
        log = (self.logs / f"{role}.log").open("ab")
        proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs[role] = proc
        return proc

    def stop(self, role: str, sig=signal.SIGTERM, wait: float = 30) -> None:
        proc = self.procs.pop(role, None)
        if proc is None or proc.poll() is not None:
            return
        with_children = _children(proc.pid)
        proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pid in with_children:  # never leave a pool process behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def pool_pids(self, role: str = "worker") -> list[int]:
        return _children(self.procs[role].pid)

    # --- talking to it --------------------------------------------------------------------------

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {args[0]}: {result.stderr[-3000:]}")
        return result.stdout

    def shell(self, code: str) -> object:
        """Run Python in a Django shell against the stack's database; returns the JSON it printed last."""
        out = self.manage("shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def get(self, path: str, timeout: float = 10, token: str | None = None) -> tuple[int, dict | None, float]:
        return self.request("GET", path, timeout=timeout, token=token)

    def request(self, method: str, path: str, timeout: float = 10, token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}", method=method, headers=headers
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except OSError:
            return 0, None, time.monotonic() - started
        try:
            parsed = json.loads(body or b"null")
        except ValueError:
            parsed = None
        return status, parsed, time.monotonic() - started


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


SEED = r"""
import json
from django.contrib.auth import get_user_model
from readiness.api.services import token_create
from readiness.core.models import AllowedNetwork
from readiness.repos.models import Repository
from readiness.pipeline.registration import repository_register
from readiness.teams.models import Role
from readiness.teams.services import membership_add, team_create
User = get_user_model()
user, _ = User.objects.get_or_create(username="faults", defaults={"email": "faults@example.com"})
team = team_create(name=f"Faults NAME")
membership_add(team=team, user=user, role=Role.LEAD)
AllowedNetwork.objects.get_or_create(target="127.0.0.1", port=GITPORT, defaults={"reason": "faults"})
urls = URLS
slugs = [
    repository_register(team=team, name=f"r{n}", url=urls[n % len(urls)], branch="main").slug
    for n in range(COUNT)
]
_, token = token_create(name="faults", created_by=user, team=team)
print(json.dumps({"team": team.slug, "repos": slugs, "token": token}))
"""


def seed(stack: Stack, name: str, count: int, urls: list[str]) -> dict:
    code = (
        SEED.replace("NAME", name)
        .replace("GITPORT", str(stack.git.port))
        .replace("URLS", json.dumps(urls))
        .replace("COUNT", str(count))
    )
    return stack.shell(code)


def sample_repo(stack: Stack) -> str:
    """A local git repository of the shipped sample service (a fast, real analysis)."""
    target = stack.workdir / "sample-service"
    if not target.exists():
        shutil.copytree(ROOT / "readiness" / "demo" / "sample-service", target)
        env = {"GIT_AUTHOR_NAME": "f", "GIT_AUTHOR_EMAIL": "f@e", "GIT_COMMITTER_NAME": "f"}
        env.update(GIT_COMMITTER_EMAIL="f@e", PATH=os.environ["PATH"], HOME=str(stack.workdir))
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "sample"]):
            subprocess.run(["git", *args], cwd=target, env=env, check=True)
    return str(target)


RUNS = r"""
import json
from django.db.models import Count
from readiness.repos.models import AnalysisRun
runs = AnalysisRun.objects.filter(repository__team__slug="TEAM")
print(json.dumps({
    "total": runs.count(),
    "by_status": dict(runs.values_list("status").annotate(n=Count("id"))),
    "attempts": sorted(runs.values_list("attempts", flat=True)),
    "per_repo_max": max(
        runs.values("repository").annotate(n=Count("id")).values_list("n", flat=True), default=0
    ),
    "errors": sorted(set(runs.exclude(error="").values_list("error", flat=True)))[:5],
}))
"""


def runs_state(stack: Stack, team: str) -> dict:
    return stack.shell(RUNS.replace("TEAM", team))


def wait_terminal(stack: Stack, team: str, within: float) -> tuple[dict, float]:
    started = time.monotonic()

    def done():
        state = runs_state(stack, team)
        pending = state["by_status"].get("queued", 0) + state["by_status"].get("running", 0)
        return state if pending == 0 and state["total"] else None

    try:
        state = wait_until(done, within, step=1, what="every run terminal")
    except TimeoutError:
        state = runs_state(stack, team)
    return state, time.monotonic() - started
