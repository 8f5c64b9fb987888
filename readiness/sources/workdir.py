"""Work folders of analyses: one per run, named after the process that owns it, so a worker starting
on the same host can remove what a killed worker (kill -9, OOM) left behind without touching the
folders of workers still running."""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import time
from pathlib import Path

logger = logging.getLogger("readiness.sources")

_OWNED = re.compile(r"^run-\d+-pid(?P<pid>\d+)@(?P<host>[^@]+)@")
# Folders from before owners were named: removed once older than any analysis can run.
UNOWNED_MAX_AGE_S = 6 * 3600


def run_dir_prefix(run_id: int) -> str:
    """For tempfile.TemporaryDirectory(prefix=...): the run, and which process on which host."""
    return f"run-{run_id}-pid{os.getpid()}@{socket.gethostname()}@"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _end_processes(folder: Path) -> None:
    """What is left of the git process groups the dead owner started (runner.py notes each)."""
    from readiness.sources.runner import PGID_SUFFIX, kill_group_leftovers

    for marker in folder.rglob(f"*{PGID_SUFFIX}"):
        try:
            pgid = int(marker.read_text().strip())
        except (OSError, ValueError):
            continue
        kill_group_leftovers(pgid)


def clean_orphans(work_dir: Path, *, now: float | None = None) -> list[str]:
    """Remove run folders whose owning process on this host is gone; returns their names."""
    if not work_dir.is_dir():
        return []
    now = time.time() if now is None else now
    host, removed = socket.gethostname(), []
    for entry in work_dir.iterdir():
        if not entry.is_dir() or not entry.name.startswith("run-"):
            continue
        match = _OWNED.match(entry.name)
        if match:
            orphan = match["host"] == host and not _alive(int(match["pid"]))
        else:
            orphan = now - entry.stat().st_mtime > UNOWNED_MAX_AGE_S
        if orphan:
            _end_processes(entry)
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    if removed:
        logger.info("removed %d work folder(s) left by stopped workers", len(removed))
    return removed
