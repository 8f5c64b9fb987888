"""Find the files the engine reads under a root, safely.

Never follows a symlink (a link inside the root is reported and skipped, so nothing outside
the root is ever read), skips VCS, vendored and dependency folders, and caps file size and
count, reporting every file it passed over.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .model import Skipped

MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 5000

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "vendor",
    "third_party",
    ".venv",
    "venv",
    "env",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "site-packages",
    "bower_components",
    ".terraform",
    "dist-packages",
}

CI_FILE_PATTERNS = (
    re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"),
    re.compile(r"^\.gitlab-ci\.ya?ml$"),
    re.compile(r"^(.*/)?Jenkinsfile$"),
    re.compile(r"^\.circleci/config\.ya?ml$"),
    re.compile(r"^azure-pipelines\.ya?ml$"),
    re.compile(r"^bitbucket-pipelines\.ya?ml$"),
)


# `Dockerfile.md`, `Dockerfile.orig`...: documents and leftovers, not Dockerfiles.
NOT_DOCKERFILE_SUFFIXES = (".dockerignore", ".md", ".rst", ".txt", ".orig", ".bak", ".rej", ".swp", ".sh")


def is_dockerfile_name(name: str) -> bool:
    if name.endswith(NOT_DOCKERFILE_SUFFIXES):
        return False
    return (
        name in ("Dockerfile", "Containerfile", "dockerfile")
        or name.startswith(("Dockerfile.", "Containerfile."))
        or name.endswith((".Dockerfile", ".dockerfile", ".Containerfile"))
    )


def is_compose_candidate(name: str) -> bool:
    """Names that may hold a compose file; ``*compose*.y(a)ml`` must still parse as compose."""
    lower = name.lower()
    return lower.endswith((".yml", ".yaml")) and "compose" in lower


def is_dockerignore_name(name: str) -> bool:
    return name == ".dockerignore" or name.endswith(".dockerignore")


def is_ci_path(rel: str) -> bool:
    return any(p.match(rel) for p in CI_FILE_PATTERNS)


def is_env_example_name(name: str) -> bool:
    return name in (".env.example", ".env.sample", ".env.template", ".env.dist")


@dataclass
class Inventory:
    """Relative POSIX paths of what was found, by kind, plus what was skipped."""

    root: Path
    dockerfiles: list[str] = field(default_factory=list)
    compose_candidates: list[str] = field(default_factory=list)
    dockerignores: list[str] = field(default_factory=list)
    ci_files: list[str] = field(default_factory=list)
    env_examples: list[str] = field(default_factory=list)
    # Every regular file seen (relative paths), for checks that look for e.g. package.json.
    all_files: set[str] = field(default_factory=set)
    skipped: list[Skipped] = field(default_factory=list)
    # SHA-256 of what read() returned, so a fix computed later can tell the file did not change.
    digests: dict[str, str] = field(default_factory=dict)

    def read(self, rel: str) -> bytes:
        """Read a discovered file, refusing anything that is not a regular file inside the root.

        The OSError's message is a short reason ("symlink not followed") that parsers put in
        their ``error`` as it is; the evidence names the file beside it.
        """
        path = self.root / rel
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            raise OSError("symlink not followed")
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise OSError(f"larger than {MAX_FILE_BYTES // 1024} KiB")
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        self.digests[rel] = hashlib.sha256(data).hexdigest()
        return data


def _wanted(rel: str, name: str) -> str | None:
    if is_dockerfile_name(name):
        return "dockerfiles"
    if is_dockerignore_name(name):
        return "dockerignores"
    if is_ci_path(rel):
        return "ci_files"
    if is_compose_candidate(name):
        return "compose_candidates"
    if is_env_example_name(name):
        return "env_examples"
    return None


def is_excluded(rel: str, patterns) -> bool:
    """Whether a root-relative path matches an exclude glob of .readiness.yml ("dir/**" covers a tree)."""
    for pattern in patterns:
        pattern = pattern.strip("/")
        if fnmatch.fnmatchcase(rel, pattern):
            return True
        if pattern.endswith("/**") and (rel == pattern[:-3] or rel.startswith(pattern[:-3] + "/")):
            return True
    return False


def discover(root: str | os.PathLike, *, max_files: int = MAX_FILES, exclude=()) -> Inventory:
    root = Path(root)
    inventory = Inventory(root=root)
    count = 0
    # os.walk with followlinks=False never descends into a symlinked directory.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = PurePosixPath(Path(dirpath).relative_to(root).as_posix())
        kept = []
        for d in sorted(dirnames):
            full = Path(dirpath) / d
            rel = (rel_dir / d).as_posix()
            if d in SKIP_DIRS or fnmatch.fnmatch(d, "*.egg-info") or is_excluded(rel, exclude):
                continue
            if full.is_symlink():
                inventory.skipped.append(Skipped(rel, "symlinked directory not followed"))
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix().removeprefix("./")
            if exclude and is_excluded(rel, exclude):
                continue
            kind = _wanted(rel, name)
            try:
                st = os.lstat(Path(dirpath) / name)
            except OSError as exc:
                if kind:
                    inventory.skipped.append(Skipped(rel, f"unreadable: {exc.strerror}"))
                continue
            # Symlinked or oversized files of interest stay in their list: the parser's
            # read() refuses them, so the check reports an error naming the file.
            if stat.S_ISLNK(st.st_mode):
                if kind:
                    inventory.skipped.append(Skipped(rel, "symlink not followed"))
                    getattr(inventory, kind).append(rel)
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            inventory.all_files.add(rel)
            if kind is None:
                continue
            if st.st_size > MAX_FILE_BYTES:
                inventory.skipped.append(Skipped(rel, f"larger than {MAX_FILE_BYTES // 1024} KiB"))
            count += 1
            if count > max_files:
                inventory.skipped.append(Skipped(rel, f"more than {max_files} files of interest"))
                continue
            getattr(inventory, kind).append(rel)
    return inventory
