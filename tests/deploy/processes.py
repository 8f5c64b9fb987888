"""Helpers to start the web and worker tiers the way docker/compose.yml does, without Docker."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker" / "compose.yml"
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def compose_service(name: str) -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"][name]


def compose_command(name: str) -> list[str]:
    """The service's command with ``${VAR:-default}`` replaced by its default, as compose would
    with an .env that leaves the variable unset."""
    return [_DEFAULTED.sub(lambda m: m.group(2), str(word)) for word in compose_service(name)["command"]]


def seconds(duration: str) -> float:
    """A compose duration such as ``40s``, ``6m`` or ``1m30s``."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def redis_database(number: int) -> str:
    """Another database of the suite's Redis (TEST_REDIS_URL, database 15 by default)."""
    server = urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    return urlunsplit(server._replace(path=f"/{number}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(**overrides: str) -> dict[str, str]:
    """The environment the containers get, pointed at this machine's services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PROMETHEUS_", "PYTEST_"))}
    # The venv's gunicorn and celery, as the image's PATH has /opt/venv/bin first.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        SECRET_KEY="deploy-test-secret-key",
        DEBUG="false",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        WORKER_HEARTBEAT_INTERVAL="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def get(url: str, *, timeout: float = 5, headers: dict | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def wait_for(url: str, *, status: int = 200, within: float = 60, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + within
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode} before {url} answered")
        try:
            last = get(url, timeout=3)[0]
            if last == status:
                return
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer {status} within {within}s (last: {last})")


def wait_for_file(path: Path, *, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear within {within}s"
        time.sleep(0.05)
