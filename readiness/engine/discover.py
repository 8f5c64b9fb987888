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
from pathlib import Path

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


def discover(
    root: str | os.PathLike, *, max_files: int = MAX_FILES, exclude=(), gitignore: bool = False
) -> Inventory:
    """Walk ``root`` depth-first in name order. With ``gitignore``, what the ``.gitignore`` files
    inside the root (and ``.git/info/exclude``) ignore is never read, as git never shows it: a local
    scan of a working copy sees what a clone would. Files above the root are not read."""
    root = Path(root)
    inventory = Inventory(root=root)
    count = 0
    # (folder relative to the root, the string to prefix to its entries, the ignore rules in force)
    stack: list[tuple[str, str, tuple]] = [("", "", _root_ignores(root) if gitignore else ())]
    while stack:
        rel_dir, prefix, ignores = stack.pop()
        try:
            with os.scandir(os.path.join(root, rel_dir)) as scanned:
                entries = sorted(scanned, key=lambda entry: entry.name)
        except OSError:  # an unreadable folder is passed over, as os.walk does
            continue
        if gitignore and any(entry.name == ".gitignore" for entry in entries):
            ignores = (*ignores, *_ignore_file(root, prefix + ".gitignore", prefix))
        folders = []
        for entry in entries:
            name = entry.name
            rel = prefix + name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows a link: a link to a folder is reported as one
            except OSError:
                is_link, is_dir = False, False
            if is_dir:
                if name in SKIP_DIRS or fnmatch.fnmatch(name, "*.egg-info") or is_excluded(rel, exclude):
                    continue
                if ignores and _ignored(ignores, rel + "/"):
                    continue
                if is_link:
                    inventory.skipped.append(Skipped(rel, "symlinked directory not followed"))
                    continue
                folders.append(rel)
                continue
            if exclude and is_excluded(rel, exclude):
                continue
            if ignores and _ignored(ignores, rel):
                continue
            kind = _wanted(rel, name)
            # Symlinked or oversized files of interest stay in their list: the parser's
            # read() refuses them, so the check reports an error naming the file.
            if is_link:
                if kind:
                    inventory.skipped.append(Skipped(rel, "symlink not followed"))
                    getattr(inventory, kind).append(rel)
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            inventory.all_files.add(rel)
            if kind is None:
                continue
            try:
                size = entry.stat(follow_symlinks=False).st_size
            except OSError as exc:
                inventory.skipped.append(Skipped(rel, f"unreadable: {exc.strerror}"))
                continue
            if size > MAX_FILE_BYTES:
                inventory.skipped.append(Skipped(rel, f"larger than {MAX_FILE_BYTES // 1024} KiB"))
            count += 1
            if count > max_files:
                inventory.skipped.append(Skipped(rel, f"more than {max_files} files of interest"))
                continue
            getattr(inventory, kind).append(rel)
        # Last pushed, first walked: sub-folders in name order, each before the next.
        stack.extend((folder, folder + "/", ignores) for folder in reversed(folders))
    return inventory


# .gitignore -----------------------------------------------------------------------------------


def _root_ignores(root: Path) -> tuple:
    """The repository's own exclude file (.git/info/exclude), when the root is a checkout's top."""
    return tuple(_ignore_file(root, ".git/info/exclude", ""))


def _ignore_file(root: Path, rel: str, base: str) -> list[tuple[str, object]]:
    """[(base, spec)] for an ignore file: read like any input (no symlink, size cap), and an
    unreadable or undecodable one is simply not applied (git would not apply it either)."""
    try:
        text = Inventory(root=root).read(rel).decode("utf-8", errors="replace")
    except OSError:
        return []
    lines = text.splitlines()
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return []  # e.g. the comments-only .git/info/exclude of every clone
    # pathspec is imported only when a repository has ignore rules (start-up time).
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return [(base, spec)] if spec.patterns else []


def _ignored(ignores: tuple, rel: str) -> bool:
    """Git's precedence: the deepest .gitignore with a pattern matching the path decides, and
    within one file the last matching pattern (a ``!`` pattern re-includes)."""
    for base, spec in reversed(ignores):
        decision = spec.check_file(rel[len(base) :]).include
        if decision is not None:
            return decision
    return False
