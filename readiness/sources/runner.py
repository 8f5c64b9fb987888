"""Running git: one hardened environment per fetch, a deadline and a size cap on every process."""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import FetchError

logger = logging.getLogger("readiness.sources")

POLL_INTERVAL_S = 0.1
# http.curloptResolve (address pinning) arrived in 2.37; older gits ignore it without a word.
MIN_GIT_VERSION = (2, 37)
# Variables worth inheriting: where to find git, and a deployment's CA bundle for https.
INHERITED_ENV = ("PATH", "SSL_CERT_FILE", "SSL_CERT_DIR")
TOKEN_USER = "x-access-token"  # noqa: S105 - the user name GitHub and GitLab accept with a token
# setpriv (util-linux) asks the kernel to SIGKILL git when the thread that started it dies, so a
# worker killed with -9 does not leave its git running as an orphan.
SETPRIV = shutil.which("setpriv")

PGID_SUFFIX = ".pgid"


def kill_group_leftovers(pgid: int) -> int:
    """SIGKILL the git processes still in process group ``pgid`` (only those: a reused group id
    belongs to someone else); returns how many."""
    killed = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) != pgid:  # fields: state, ppid, pgrp, ...
                continue
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if b"git" in cmdline:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(int(stat.parent.name), signal.SIGKILL)
                killed += 1
    return killed


# Process groups of the git processes running now, so a shutting-down worker can end them.
_live_groups: set[int] = set()
_live_lock = threading.Lock()


def kill_live_processes() -> int:
    """SIGKILL every git process group this process started and has not reaped (worker shutdown)."""
    with _live_lock:
        groups = list(_live_groups)
    for pgid in groups:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return len(groups)


@dataclass(frozen=True)
class GitResult:
    returncode: int
    stdout: bytes
    stderr: str


def hardened_config(
    *,
    schemes: Sequence[str],
    token: str | None,
    curl_resolve: str | None,
    low_speed_time_s: int = 20,
) -> list[tuple[str, str]]:
    """The configuration every git process of a fetch runs with (see docs/fetching.md for the why)."""
    config = [
        ("protocol.allow", "never"),
        *((f"protocol.{scheme}.allow", "always") for scheme in schemes),
        ("core.hooksPath", "/dev/null"),
        ("core.symlinks", "false"),
        ("core.fsmonitor", "false"),
        ("transfer.fsckObjects", "true"),
        ("http.lowSpeedLimit", "1000"),
        ("http.lowSpeedTime", str(low_speed_time_s)),
        ("http.followRedirects", "false"),
        ("http.sslVerify", "true"),
        ("credential.helper", ""),
        ("gc.auto", "0"),
        ("maintenance.auto", "false"),
    ]
    if curl_resolve:
        config.append(("http.curloptResolve", curl_resolve))
    if token:
        config.append(("http.extraHeader", f"Authorization: Basic {basic_credentials(token)}"))
    return config


@functools.cache
def installed_git_version() -> tuple[int, ...]:
    result = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False, timeout=10)
    return parse_git_version(result.stdout)


def parse_git_version(text: str) -> tuple[int, ...]:
    """(2, 39, 5) from "git version 2.39.5"; () when the text is not a git version."""
    match = re.search(r"git version (\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(part) for part in match.groups() if part is not None) if match else ()


def require_git(version: tuple[int, ...]) -> None:
    if version < MIN_GIT_VERSION:
        found = ".".join(map(str, version)) or "no git"
        needed = ".".join(map(str, MIN_GIT_VERSION))
        raise FetchError(
            "git_error", f"The worker needs git {needed} or newer to fetch safely (found {found})"
        )


def basic_credentials(token: str) -> str:
    return base64.b64encode(f"{TOKEN_USER}:{token}".encode()).decode("ascii")


class Git:
    """Starts git processes sharing one environment, one deadline and one size cap.

    Configuration travels in GIT_CONFIG_COUNT/KEY_n/VALUE_n variables, never in argv, so the token
    header is invisible to ``ps``; children git starts itself (remote helpers, lazy fetches) inherit it.
    """

    def __init__(
        self,
        *,
        home: Path,
        config: Sequence[tuple[str, str]],
        timeout_s: float,
        max_bytes: int,
        secrets: Sequence[str] = (),
        extra_env: dict[str, str] | None = None,
    ) -> None:
        require_git(installed_git_version())
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.deadline = time.monotonic() + timeout_s
        self._home = home
        self._secrets = [s for s in secrets if s]
        self._env = self._environment(config, extra_env or {})

    def _environment(self, config: Sequence[tuple[str, str]], extra: dict[str, str]) -> dict[str, str]:
        # Built from nothing: an inherited GIT_DIR, GIT_ASKPASS, GIT_SSL_NO_VERIFY, GIT_TRACE_CURL
        # or proxy variable would change what git does or print the token.
        env = {name: os.environ[name] for name in INHERITED_ENV if name in os.environ}
        env.setdefault("PATH", os.defpath)
        env.update(
            {
                "HOME": str(self._home),
                "XDG_CONFIG_HOME": str(self._home / ".config"),
                "LC_ALL": "C",  # English messages, which errors.classify() reads
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_SYSTEM": "/dev/null",
                "GIT_CONFIG_GLOBAL": "/dev/null",
                "GIT_PROTOCOL_FROM_USER": "0",
                "GIT_CEILING_DIRECTORIES": str(self._home.parent),
                "GIT_CONFIG_COUNT": str(len(config)),
            }
        )
        for index, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        env.update(extra)
        return env

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        git_dir: Path | None = None,
        stdin: bytes | None = None,
        stdout: IO[bytes] | None = None,
        watch: Path | None = None,
    ) -> GitResult:
        """Run ``git <args>``; kill its whole process group on the deadline or past the size cap.

        The cap counts the files under ``watch`` plus what git printed. Output goes to files, not
        pipes, so a chatty git never blocks while we poll. When ``stdout`` is given the output is
        left there (and not counted: the caller bounds it) and ``GitResult.stdout`` is empty.
        """
        env = dict(self._env)
        if git_dir is not None:
            env["GIT_DIR"] = str(git_dir)
        argv = ["git", *args]
        logger.debug("running %s", " ".join(argv))
        if SETPRIV:
            argv = [SETPRIV, "--pdeathsig", "KILL", "--", *argv]
        with (
            tempfile.TemporaryFile(dir=self._home) as err,
            tempfile.TemporaryFile(dir=self._home) as inp,
            nullcontext(stdout) if stdout is not None else tempfile.TemporaryFile(dir=self._home) as out,
        ):
            if stdin:
                inp.write(stdin)
                inp.seek(0)
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=inp,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group, so children die with it
            )
            with _live_lock:
                _live_groups.add(proc.pid)
            # The group's id, in the run's folder: if this worker dies, whoever cleans the folder
            # can end what is left of the group (git's own helpers outlive a killed git).
            marker = self._home / f"git-{proc.pid}{PGID_SUFFIX}"
            marker.write_text(str(proc.pid))
            # Our own output files count too: a hostile server can make git print without end.
            outputs: list[IO[bytes]] = [err] if stdout is not None else [err, out]
            try:
                self._wait(proc, watch, outputs)
            finally:
                if proc.returncode is None:
                    _kill_group(proc)
                with _live_lock:
                    _live_groups.discard(proc.pid)
                marker.unlink(missing_ok=True)
            err.seek(0)
            stderr = self.redact(err.read().decode("utf-8", "replace"))
            captured = b""
            if stdout is None:
                out.seek(0)
                captured = out.read()
        if proc.returncode:
            logger.info("git %s exited with %s: %s", args[0], proc.returncode, stderr.strip()[-2000:])
        return GitResult(proc.returncode, captured, stderr)

    def _wait(self, proc: subprocess.Popen, watch: Path | None, outputs: Sequence[IO[bytes]]) -> None:
        while True:
            try:
                proc.wait(timeout=max(0.0, min(POLL_INTERVAL_S, self.remaining())))
                return
            except subprocess.TimeoutExpired:
                pass
            if self.remaining() <= 0:
                _kill_group(proc)
                raise FetchError("timeout", f"Fetching the repository took longer than {self.timeout_s:g} s")
            written = sum(os.fstat(f.fileno()).st_size for f in outputs)
            if written + (tree_size(watch) if watch is not None else 0) > self.max_bytes:
                _kill_group(proc)
                raise FetchError(
                    "too_large", f"The repository is larger than the {_human(self.max_bytes)} fetch limit"
                )


def _kill_group(proc: subprocess.Popen) -> None:
    # Only while the leader is unreaped: its pid, and so the group id, cannot have been reused.
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def tree_size(root: Path) -> int:
    """Bytes of the regular files under ``root``; files vanishing mid-walk (git renames) are ignored."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                continue
    return total


def _human(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size} bytes"
