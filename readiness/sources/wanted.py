"""Which files of a repository the engine reads, and picking them from a git tree listing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

WantedPredicate = Callable[[str], bool]

MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"
REGULAR_MODES = ("100644", "100755")

# Folders of vendored or generated code: their Dockerfiles and manifests are not the team's own.
SKIPPED_DIRS = frozenset(
    {"node_modules", "vendor", "third_party", ".venv", "venv", "site-packages", "bower_components"}
)
_EXACT_NAMES = frozenset(
    {
        "Dockerfile", "dockerfile", "Containerfile", ".dockerignore", "Jenkinsfile",
        ".env.example", ".env.sample", ".env.template", ".env.dist",
        ".readiness.yml", ".readiness.yaml",
        "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "poetry.lock", "uv.lock", "manage.py",
        "package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml",
        "go.mod", "Cargo.toml", "pom.xml", "build.gradle", "build.gradle.kts", "Gemfile.lock",
        "composer.json", "composer.lock",
    }
)  # fmt: skip
_ROOT_CI_FILES = re.compile(
    r"^(\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.circleci/config\.ya?ml"
    r"|azure-pipelines\.ya?ml|bitbucket-pipelines\.ya?ml)$"
)
_REQUIREMENTS = re.compile(r"^requirements[^/]*\.txt$")


def is_wanted(path: str) -> bool:
    """The default selection: Docker, compose, CI, env examples, .readiness.yml, dependency manifests.

    ``path`` is relative to the analysed folder, with "/" separators.
    """
    parts = path.split("/")
    if SKIPPED_DIRS.intersection(parts[:-1]):
        return False
    name = parts[-1]
    lower = name.lower()
    return (
        name in _EXACT_NAMES
        or name.startswith(("Dockerfile.", "Containerfile."))
        or name.endswith((".Dockerfile", ".dockerfile", ".Containerfile", ".dockerignore"))
        or (lower.endswith((".yml", ".yaml")) and "compose" in lower)
        or bool(_REQUIREMENTS.match(name))
        or bool(_ROOT_CI_FILES.match(path))
    )


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    oid: str
    path: str  # relative to the analysed folder


@dataclass
class Selection:
    files: list[TreeEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    folder_seen: bool = False


def parse_ls_tree(output: bytes) -> Iterator[tuple[str, str, str]]:
    """(mode, oid, path) from ``git ls-tree -r -z``; undecodable bytes in paths become surrogates."""
    for record in output.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, _kind, oid = meta.decode("ascii").split(" ")
        yield mode, oid, raw_path.decode("utf-8", "surrogateescape")


def select(listing: bytes, *, folder: str, wanted: WantedPredicate, max_files: int) -> Selection:
    """Pick the wanted regular files under ``folder``; links, submodules and odd names are reported."""
    selection = Selection()
    prefix = f"{folder}/" if folder else ""
    for mode, oid, full_path in parse_ls_tree(listing):
        if not full_path.startswith(prefix):
            continue
        selection.folder_seen = True
        path = full_path[len(prefix) :]
        if mode == MODE_SUBMODULE:
            # Reported whatever its name: the files inside it are never looked at.
            selection.skipped.append((_printable(path), "submodule not fetched"))
        elif not wanted(path):
            continue
        elif mode == MODE_SYMLINK:
            selection.skipped.append((_printable(path), "symlink not followed"))
        elif mode not in REGULAR_MODES:
            selection.skipped.append((_printable(path), f"unexpected git mode {mode}"))
        elif _printable(path) != path:
            selection.skipped.append((_printable(path), "file name is not valid UTF-8"))
        elif len(selection.files) >= max_files:
            selection.skipped.append((path, f"more than {max_files} files of interest"))
        else:
            selection.files.append(TreeEntry(mode, oid, path))
    return selection


def _printable(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
