"""Turn a registered repository into a directory the engine can read.

Local folders are read in place (the engine never follows a symlink out of the root), only where
READINESS_ALLOW_LOCAL_SOURCES permits. Remote git URLs go through readiness.sources (safe fetch).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings


class SourceError(Exception):
    """A problem with the repository's source that a user can read and fix."""


@dataclass
class MaterializedSource:
    path: Path
    commit_sha: str


def local_path_of(url: str) -> Path | None:
    """The local folder a repository URL names (a plain path or file://), else None."""
    if url.startswith("file://"):
        return Path(unquote(urlsplit(url).path))
    if url.startswith("/"):
        return Path(url)
    return None


def _git_head(path: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def materialize_source(repository, work_dir: Path) -> MaterializedSource:
    local = local_path_of(repository.url)
    if local is None:
        raise SourceError("Remote git URLs are not supported yet: only local folders can be analysed.")
    if not settings.READINESS_ALLOW_LOCAL_SOURCES:
        raise SourceError(
            "Local repository paths are disabled on this server (READINESS_ALLOW_LOCAL_SOURCES)."
        )
    root = local / repository.subfolder if repository.subfolder else local
    if not root.is_dir():
        raise SourceError(f"The folder {root} does not exist or is not a directory.")
    return MaterializedSource(path=root, commit_sha=_git_head(local))
