"""Fixes for the ``dockerignore.*`` checks: the lines a build context's .dockerignore lacks, for the
stacks found in that context, appended to it (or a new .dockerignore holding them all).

A pattern is left out when it would drop something a Dockerfile built from the context copies
(``COPY .git ...``, ``COPY certs/server.pem ...``): the fix says so instead of breaking the build.
"""

from __future__ import annotations

import posixpath

from ..checks.dockerignore import KEY_MATERIAL_PROBES, _required_exclusions
from ..dockerignore import parse_dockerignore
from ..linking import BuildContext
from ..model import CheckResult
from .files import new_file
from .model import Fix
from .registry import FixContext, fixer

VCS_LINES = [".git"]
ENV_LINES = [".env"]
KEY_LINES = ["*.pem", "*.key", "*.p12", "id_rsa*", "secrets/"]
NEW_FILE_HEADER = "# Left out of the build context: version control, dependency caches, secrets.\n"


def _contexts(result: CheckResult, context: FixContext):
    """(build context, its .dockerignore path) for each production context the result names."""
    named = {evidence.file for evidence in result.evidence}
    for build_context in context.project.build_contexts:
        if build_context.is_dev:
            continue
        ignore = build_context.dockerignore
        path = ignore.path if ignore else posixpath.join(build_context.context, ".dockerignore")
        if path in named and not (ignore is not None and ignore.error):
            yield build_context, path


def _cache_lines(context: FixContext, build_context: BuildContext, ignore=None) -> list[str]:
    """Lines for the dependency and cache folders of the context's stacks that ``ignore`` (None:
    no file yet) does not exclude yet: ``**/node_modules`` covers every package.json's folder."""
    lines = []
    for _, alternatives in _required_exclusions(context.project, build_context.context):
        if ignore is not None and any(ignore.excludes(path) for path in alternatives):
            continue
        name = posixpath.basename(alternatives[0])
        if name in ("node_modules", "__pycache__"):
            lines.append(f"**/{name}")
        else:
            lines += alternatives  # .venv and venv, target, vendor
    return list(dict.fromkeys(lines))


def _copied_sources(context: FixContext, build_context: BuildContext) -> list[str]:
    """What the Dockerfile(s) of the context copy from it, relative to it (once a scan)."""
    key = ("copied", build_context.context, build_context.dockerfile)
    if key not in context.files.memo:
        context.files.memo[key] = _sources_of(context, build_context)
    return context.files.memo[key]


def _sources_of(context: FixContext, build_context: BuildContext) -> list[str]:
    sources = []
    dockerfiles = {build_context.dockerfile} if build_context.dockerfile else set()
    for rel in dockerfiles:
        dockerfile = context.project.dockerfile(rel)
        if dockerfile is None or dockerfile.error:
            continue
        for instruction in dockerfile.instructions():
            if instruction.cmd in ("COPY", "ADD") and instruction.flag("from") is None:
                from ..dockerfile import split_words

                args = instruction.json_args or split_words(instruction.value.split("\n", 1)[0])
                sources += [a.removeprefix("./") for a in args[:-1] if not a.startswith(("<<", "-"))]
    return [s for s in sources if s not in (".", "", "*")]


def _safe(lines: list[str], existing: list[str], sources: list[str]) -> tuple[list[str], list[str]]:
    """(lines to add, lines left out because a COPY needs what they exclude)."""
    if not sources:  # the Dockerfile copies the whole context (or nothing): every line is safe
        return list(lines), []
    trial = parse_dockerignore(".dockerignore", "\n".join(existing).encode())
    if trial.error:
        return [], list(lines)
    kept, dropped = [], []
    for line in lines:
        before = list(trial.patterns)
        trial.patterns += parse_dockerignore(".dockerignore", line.encode()).patterns
        if any(trial.excludes(source) for source in sources):
            trial.patterns = before
            dropped.append(line)
        else:
            kept.append(line)
    return kept, dropped


def _wanted(check: str, context: FixContext, build_context: BuildContext, ignore) -> list[str]:
    """The lines the check needs that ``ignore`` (None: no file yet) does not cover."""
    if check == "dockerignore.present":
        return [*VCS_LINES, *_cache_lines(context, build_context), *ENV_LINES, *KEY_LINES]
    if check == "dockerignore.excludes_vcs":
        return [] if ignore is not None and ignore.excludes(".git") else VCS_LINES
    if check == "dockerignore.excludes_caches":
        return _cache_lines(context, build_context, ignore)
    wanted = [] if ignore is not None and ignore.excludes(".env") else list(ENV_LINES)
    if ignore is None or not any(ignore.excludes(probe) for probe in KEY_MATERIAL_PROBES):
        wanted += KEY_LINES
    return wanted


def _build(check: str, result: CheckResult, context: FixContext) -> list[Fix]:
    fixes = []
    for build_context, path in _contexts(result, context):
        ignore = build_context.dockerignore
        if ignore is None:
            # Every .dockerignore check offers the same new file, so applying several is one edit.
            fixes.append(_new_file_fix(check, context, build_context, path))
            continue
        text = context.files.text(path)
        if text is None:
            continue
        existing = [line.rstrip("\r\n") for line in text.lines]
        lines, dropped = _safe(
            _wanted(check, context, build_context, ignore), existing, _copied_sources(context, build_context)
        )
        lines = _two_key_patterns(lines)
        note = _dropped_note(dropped)
        if not lines:
            fixes.append(Fix(check, f"no automatic fix: {note or 'nothing to add'}"))
            continue
        summary = f"exclude {', '.join(lines)} from build context {build_context.label}"
        fixes.append(Fix(check, summary, [text.append("\n".join(lines) + "\n")], note=note))
    return fixes


def _new_file_fix(check: str, context: FixContext, build_context: BuildContext, path: str) -> Fix:
    # The same new file for every .dockerignore check of the context: made once a scan.
    key = ("new .dockerignore", path)
    if key not in context.files.memo:
        context.files.memo[key] = _new_file(context, build_context, path)
    summary, edits, note = context.files.memo[key]
    return Fix(check, summary, list(edits), note=note)


def _new_file(context: FixContext, build_context: BuildContext, path: str) -> tuple[str, list, str]:
    if context.files.exists(path):
        return f"no automatic fix: {path} exists but could not be read", [], ""
    if not context.files.is_real_folder(posixpath.dirname(path)):
        return f"no automatic fix: {build_context.label} is not a folder inside the scanned one", [], ""
    wanted = _wanted("dockerignore.present", context, build_context, None)
    lines, dropped = _safe(wanted, [], _copied_sources(context, build_context))
    lines = _two_key_patterns(lines)
    summary = f"add {path} leaving out {', '.join(lines)}"
    return summary, [new_file(path, NEW_FILE_HEADER + "\n".join(lines) + "\n")], _dropped_note(dropped)


def _two_key_patterns(lines: list[str]) -> list[str]:
    """Two key-material patterns are enough; the others were only fallbacks."""
    keys = [line for line in lines if line in KEY_LINES][:2]
    return [line for line in lines if line not in KEY_LINES or line in keys]


def _dropped_note(dropped: list[str]) -> str:
    if not dropped:
        return ""
    return f"not excluded, because the Dockerfile copies what they match: {', '.join(dropped)}"


WRITES = {
    "dockerignore.present": (
        "creates the context's `.dockerignore` with `.git`, the dependency and cache folders of the "
        "stacks found in the context (`**/node_modules`, `**/__pycache__`, `.venv`, `venv`, `target`,"
        " `vendor`), `.env` and two key-material patterns."
    ),
    "dockerignore.excludes_vcs": ("appends `.git` (after any `!` exception, so it wins)."),
    "dockerignore.excludes_caches": (
        "appends the missing folders of the stacks found in the context (`**/node_modules`, "
        "`**/__pycache__`, `.venv` and `venv`, `<folder>/target`, `vendor`)."
    ),
    "dockerignore.excludes_secrets": (
        "appends `.env` and two key-material patterns (`*.pem`, `*.key`, ...), leaving out one that "
        "would drop a file the Dockerfile copies."
    ),
}


def _register(check: str) -> None:
    fixer(check, WRITES[check])(lambda result, context: _build(check, result, context))


for _check in WRITES:
    _register(_check)
