"""The ``dockerignore.*`` checks: one finding per build context (``project.build_contexts``).

A context is what ``docker build`` sends: a compose ``build.context`` or, for a Dockerfile no
compose file builds, its own folder. Contexts of development files only fill ``dev_evidence``.
"""

from __future__ import annotations

import bisect
import os
import posixpath
import stat
from collections.abc import Callable

from ..dockerignore import DockerIgnore
from ..linking import BuildContext
from ..model import Evidence
from ..registry import check
from ._util import Findings, judge_files

# Manifests that reveal a stack, and the folders each stack must keep out of the context.
STACK_MANIFESTS = {
    "node": ("package.json",),
    "python": (
        "requirements.txt",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "Pipfile",
        "poetry.lock",
        "uv.lock",
        "manage.py",
    ),
    "rust": ("Cargo.toml",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
    "go": ("go.mod",),
    "php": ("composer.json",),
}
# Probe paths for "at least one key-material pattern".
KEY_MATERIAL_PROBES = ("server.pem", "server.key", "keystore.p12", "id_rsa", "secrets/")
MAX_EVIDENCE_PER_CONTEXT = 10

Evaluate = Callable[[BuildContext, DockerIgnore | None, object], list[str] | None]


def _judge(project, check_id: str, evaluate: Evaluate, *, reads_patterns: bool = True):
    """``evaluate`` returns what is missing (messages); None means the check does not apply.
    A .dockerignore that cannot be read is an error for the checks that read its patterns."""
    findings = []
    for build_context in project.build_contexts:
        ignore = build_context.dockerignore
        file = ignore.path if ignore else _expected_path(build_context)
        if reads_patterns and ignore is not None and ignore.error:
            findings.append(Findings.unreadable(file, build_context.is_dev, ignore.error))
            continue
        problems = evaluate(build_context, ignore, project)
        found = Findings(file, build_context.is_dev, applies=problems is not None)
        for message in (problems or [])[:MAX_EVIDENCE_PER_CONTEXT]:
            found.fail.append(Evidence(file, None, message))
        findings.append(found)
    return judge_files(check_id, findings)


def _expected_path(build_context: BuildContext) -> str:
    return posixpath.join(build_context.context, ".dockerignore")


def _missing(build_context: BuildContext) -> str:
    return f"build context {build_context.label} has no .dockerignore"


# --- dockerignore.present --------------------------------------------------------------------


@check(
    "dockerignore.present",
    title=".dockerignore in every build context",
    category="build",
    severity="medium",
    sources=("003", "004"),
    remediation="""
Add a .dockerignore at the root of the build context, for example:

.git
**/__pycache__
.venv
node_modules
.env
*.pem
*.key
""",
)
def present(project):
    """Every build context has a `.dockerignore` at its root (or a `<Dockerfile name>.dockerignore`
    beside the Dockerfile)."""
    return _judge(project, "dockerignore.present", _present, reads_patterns=False)


def _present(build_context: BuildContext, ignore: DockerIgnore | None, project) -> list[str]:
    if ignore is not None:
        return []
    message = _missing(build_context)
    if build_context.dockerfile:
        message += f" (nor {posixpath.basename(build_context.dockerfile)}.dockerignore beside the Dockerfile)"
    return [message]


# --- dockerignore.excludes_vcs ---------------------------------------------------------------


@check(
    "dockerignore.excludes_vcs",
    title=".dockerignore excludes .git",
    category="build",
    severity="medium",
    sources=("004",),
    remediation="Add this line to the .dockerignore:\n\n.git",
)
def excludes_vcs(project):
    """The `.dockerignore` of a build context that contains the repository's root (where a `.git`
    can be) excludes `.git`; other contexts are `na`."""
    return _judge(project, "dockerignore.excludes_vcs", _excludes_vcs)


def _excludes_vcs(build_context: BuildContext, ignore: DockerIgnore | None, project) -> list[str] | None:
    if build_context.context != "":
        return None  # a sub-folder holds no .git of the repository
    if ignore is not None and ignore.excludes(".git"):
        return []
    sent = ".git is sent to the builder"
    if not _has_git(project):
        sent = "a checkout's .git would be sent to the builder"
    if ignore is None:
        return [_missing(build_context) + f", so {sent}"]
    return [f"does not exclude .git, so {sent}"]


def _has_git(project) -> bool:
    try:
        os.lstat(project.root / ".git")
    except OSError:
        return False
    return True


# --- dockerignore.excludes_caches ------------------------------------------------------------


@check(
    "dockerignore.excludes_caches",
    title=".dockerignore excludes dependency and cache folders",
    category="build",
    severity="medium",
    sources=("004",),
    remediation="""
Exclude the dependency and cache folders of your stack, e.g.:

**/node_modules
**/__pycache__
.venv
venv
target
""",
)
def excludes_caches(project):
    """The `.dockerignore` excludes the dependency and cache folders of the stacks in the context:
    `node_modules` for node; `__pycache__` and `.venv`/`venv` for Python; `target` for Rust/Java;
    `vendor` for Go/PHP where present."""
    return _judge(project, "dockerignore.excludes_caches", _excludes_caches)


def _excludes_caches(build_context: BuildContext, ignore: DockerIgnore | None, project) -> list[str] | None:
    required = _required_exclusions(project, build_context.context)
    if not required:
        return None
    missing = [path for path, alternatives in required if not _excludes_any(ignore, alternatives)]
    if ignore is None and missing:
        return [_missing(build_context) + ", so nothing keeps " + ", ".join(missing) + " out of the build"]
    return [f"does not exclude {path}" for path in missing]


def _excludes_any(ignore: DockerIgnore | None, paths: tuple[str, ...]) -> bool:
    return ignore is not None and any(ignore.excludes(path) for path in paths)


def _required_exclusions(project, context: str) -> list[tuple[str, tuple[str, ...]]]:
    """(what to name, paths any of which must be excluded), relative to the context."""
    prefix = context + "/" if context else ""
    stacks: dict[str, set[str]] = {}  # stack -> folders (relative to the context) holding it
    manifests = _stack_manifests(project)
    # Sorted paths: those under the context are one run, found by bisection.
    for rel, stack in manifests[bisect.bisect_left(manifests, (prefix,)) :]:
        if not rel.startswith(prefix):
            break
        stacks.setdefault(stack, set()).add(posixpath.dirname(rel[len(prefix) :]))
    required: list[tuple[str, tuple[str, ...]]] = []
    for stack, folders in sorted(stacks.items()):
        for folder in sorted(folders):
            node_modules, pycache, target, vendor = (
                posixpath.join(folder, name) for name in ("node_modules", "__pycache__", "target", "vendor")
            )
            venvs = (posixpath.join(folder, ".venv"), posixpath.join(folder, "venv"))
            if stack == "node":
                required.append((node_modules, (node_modules,)))
            elif stack == "python":
                required.append((pycache, (pycache,)))
                required.append((" or ".join(venvs), venvs))
            elif stack in ("rust", "java"):
                required.append((target, (target,)))
            elif _is_folder(project, posixpath.join(context, vendor)):
                required.append((vendor, (vendor,)))
    return list(dict.fromkeys(required))


def _stack_manifests(project) -> list[tuple[str, str]]:
    """(path, stack) of every manifest in the inventory, computed once per scan: a tree with a
    thousand build contexts must not walk all its files once per context."""
    cached = getattr(project, "_stack_manifests", None)
    if cached is None:
        cached = []
        for rel in project.inventory.all_files:
            name = posixpath.basename(rel)
            for stack, manifests in STACK_MANIFESTS.items():
                if name in manifests or (
                    stack == "python" and name.startswith("requirements") and name.endswith(".txt")
                ):
                    cached.append((rel, stack))
        cached.sort()
        project._stack_manifests = cached
    return cached


def _is_folder(project, rel: str) -> bool:
    """A real folder (not a symlink) inside the root; discovery skips vendor/, so ask the disk."""
    try:
        return stat.S_ISDIR(os.lstat(project.root / rel).st_mode)
    except OSError:
        return False


# --- dockerignore.excludes_secrets -----------------------------------------------------------


@check(
    "dockerignore.excludes_secrets",
    title=".dockerignore excludes secrets",
    category="security",
    severity="high",
    sources=("004",),
    remediation="""
Keep secrets out of the build context:

.env
.env.*
!.env.example
*.pem
*.key
id_rsa*
secrets/
""",
)
def excludes_secrets(project):
    """The `.dockerignore` excludes `.env` and at least one key-material pattern (`*.pem`,
    `*.key`, `*.p12`, `id_rsa*`, `secrets/`)."""
    return _judge(project, "dockerignore.excludes_secrets", _excludes_secrets)


def _excludes_secrets(build_context: BuildContext, ignore: DockerIgnore | None, project) -> list[str]:
    if ignore is None:
        return [_missing(build_context) + ", so any .env or key file in it is sent to the builder"]
    problems = []
    if not ignore.excludes(".env"):
        problems.append("does not exclude .env")
    if not any(ignore.excludes(probe) for probe in KEY_MATERIAL_PROBES):
        problems.append("excludes no key material (*.pem, *.key, *.p12, id_rsa*, secrets/)")
    return problems
