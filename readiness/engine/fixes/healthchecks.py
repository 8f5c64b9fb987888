"""The healthcheck command that fits an image: its datastore's own tool, else an HTTP request made
with what the image has (curl, wget, python, node), else nothing.

A ``Probe`` is written for the place it goes: ``dockerfile`` (a HEALTHCHECK instruction, whose
shell expands ``$VAR`` at run time) or ``compose`` (a ``test:`` list, where ``$$`` reaches the
container's shell and ``${VAR}`` is Compose's own interpolation).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .images import ImageFacts, major_version

# Options that name the port a server listens on: gunicorn --bind/-b, uvicorn/hypercorn --port...
_BIND_RE = re.compile(r"^(?:--bind|-b|--listen|--host)=?(?:.*:)?(\d{2,5})$")
_ADDRESS_RE = re.compile(r"^(?:\[[0-9a-f:]*\]|[0-9.]+|localhost|\*)?:(\d{2,5})$", re.IGNORECASE)


@dataclass(frozen=True)
class Probe:
    argv: tuple[str, ...] | None = None  # exec form
    script: str | None = None  # shell form (already written for its dialect)
    note: str = ""
    datastore: bool = False

    @property
    def tool(self) -> str:
        """The program the probe runs (``pg_isready``), for a fix's summary."""
        words = list(self.argv) if self.argv is not None else shell_words(self.script or "")
        return next((w for w in words if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)), "")

    def compose_test(self) -> list[str]:
        if self.argv is not None:
            return ["CMD", *self.argv]
        return ["CMD-SHELL", self.script or ""]

    def dockerfile_command(self) -> str:
        """What follows ``CMD`` in a HEALTHCHECK."""
        if self.argv is not None:
            return "[" + ", ".join(_json_string(arg) for arg in self.argv) + "]"
        return self.script or ""


def _json_string(text: str) -> str:
    import json

    return json.dumps(text)


def runtime_var(name: str, dialect: str, default: str | None = None) -> str:
    """A reference the container's shell expands at run time."""
    dollar = "$$" if dialect == "compose" else "$"
    return f"{dollar}{{{name}:-{default}}}" if default is not None else f"{dollar}{{{name}}}"


def datastore_probe(facts: ImageFacts, dialect: str, *, redis_password: str | None = None) -> Probe | None:
    """The probe of a datastore image, or None when it is not one we know.

    ``redis_password`` is how the service's password is written for the probe (a Compose
    ``${VAR}``, a run-time variable or a literal), or None when the service requires none.
    """
    kind = facts.datastore
    if kind in ("postgres", "postgis"):
        user = runtime_var("POSTGRES_USER", dialect, "postgres")
        database = runtime_var("POSTGRES_DB", dialect, user)
        # -h: during first start the image's init server listens on the socket only, so a TCP
        # probe stays unhealthy until the real server is up.
        return Probe(script=f'pg_isready -h 127.0.0.1 -U "{user}" -d "{database}"', datastore=True)
    if kind in ("redis", "valkey", "keydb"):
        cli = {"redis": "redis-cli", "valkey": "valkey-cli", "keydb": "keydb-cli"}[kind]
        if redis_password is not None:
            return Probe(script=f'REDISCLI_AUTH="{redis_password}" {cli} ping | grep -q PONG', datastore=True)
        # NOAUTH also proves the server answers, so the probe keeps working once a password is set.
        return Probe(
            script=f"{cli} ping | grep -qE 'PONG|NOAUTH'",
            datastore=True,
            note="answers PONG, or NOAUTH once a password is required",
        )
    if kind == "mariadb" and facts.name == "mariadb":
        return Probe(argv=("healthcheck.sh", "--connect", "--innodb_initialized"), datastore=True)
    if kind in ("mysql", "mariadb"):
        return Probe(argv=("mysqladmin", "ping", "-h", "127.0.0.1", "--silent"), datastore=True)
    if kind == "mongo":
        major = major_version(facts.tag)
        shell = "mongo" if major is not None and major < 5 else "mongosh"
        return Probe(argv=(shell, "--quiet", "--eval", "db.adminCommand('ping').ok"), datastore=True)
    if kind == "rabbitmq":
        return Probe(argv=("rabbitmq-diagnostics", "-q", "ping"), datastore=True)
    return None


def http_probe(facts: ImageFacts, port: int, path: str = "/") -> Probe | None:
    """An HTTP request to the service itself with what the image has; None when it has nothing.

    127.0.0.1 rather than localhost: on Alpine localhost resolves to ::1 first, which a server
    bound to 0.0.0.0 does not answer.
    """
    url = f"http://127.0.0.1:{port}{path}"
    note = f"requests {url}: point it at your health endpoint if you have one"
    if facts.http == "curl":
        return Probe(argv=("curl", "-f", "-s", "-o", "/dev/null", url), note=note)
    if facts.http == "wget":
        return Probe(argv=("wget", "-q", "-O", "/dev/null", url), note=note)
    if facts.runtime == "python":
        code = f"import urllib.request; urllib.request.urlopen('{url}', timeout=5)"
        return Probe(argv=("python", "-c", code), note=note)
    if facts.runtime == "node":
        code = (
            f"require('http').get('{url}', r => process.exit(r.statusCode < 400 ? 0 : 1))"
            ".on('error', () => process.exit(1))"
        )
        return Probe(argv=("node", "-e", code), note=note)
    return None


def port_from_command(words: list[str]) -> int | None:
    """The port a server command listens on (``--bind 0.0.0.0:8000``, ``--port 8000``...)."""
    for index, word in enumerate(words):
        match = _BIND_RE.match(word) or _ADDRESS_RE.match(word)
        if match:
            return _port(match.group(1))
        if word in ("--bind", "-b", "--port", "-p", "--listen") and index + 1 < len(words):
            following = words[index + 1]
            found = _ADDRESS_RE.match(following) or re.match(r"^(\d{2,5})$", following)
            if found:
                return _port(found.group(1))
    return None


def _port(text: str) -> int | None:
    value = int(text)
    return value if 0 < value < 65536 else None


# Ports that speak TLS: a plain-HTTP probe there fails however healthy the server is.
TLS_PORTS = {443, 8443, 9443}


def port_from_spec(text: str) -> int | None:
    """The container port of an EXPOSE word (``8000``, ``8000/tcp``) or a compose port target;
    None for a TLS port or a UDP one."""
    match = re.match(r"^(\d{1,5})(?:/tcp)?$", str(text).strip())
    port = _port(match.group(1)) if match else None
    return None if port in TLS_PORTS else port


def shell_words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()
