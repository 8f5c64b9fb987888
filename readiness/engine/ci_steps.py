"""What a pipeline's steps run, one level down (checks.md Version 2, ``ci.runs_tests``/``ci.builds_image``).

Besides its own lines, a step runs what it calls in the repository: a local GitHub action
(``uses: ./path`` reads ``path/action.y(a)ml``), a script (``./test.sh``, ``bash scripts/build.sh``),
a Makefile target (``make test``: the target's recipe and its direct prerequisites' recipes) or a
``package.json`` script (``npm run ci``). Those files are read once, never further down, never
outside the root, through ``Inventory.read`` (no symlinks, size-capped).
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from .ci import CIFile, parse_action
from .compose import within_root

# Lines read from one script or recipe: enough for any real one, bounded for a hostile one.
MAX_LINES = 2000
_MAKE_RULE = re.compile(r"^([^\s:#=][^:=]*?)\s*::?(?!=)\s*([^;#]*)")
_NODE_RUNNERS = {"npm", "yarn", "pnpm", "bun"}
_SHELL_PROGRAMS = {"sh", "bash", "zsh", "dash", "ash"}


@dataclass(frozen=True)
class StepLine:
    """A line a pipeline runs: ``text``; the pipeline ``file`` and ``line`` of the step; and, when it
    comes from a script, action or target the step calls, ``via`` names it (``test.sh:12``)."""

    text: str
    file: str
    line: int | None
    via: str | None = None


def step_lines(project, ci: CIFile) -> list[StepLine]:
    """Every command line of ``ci`` followed by the lines of what its steps call, one level down."""
    cache = project.cache.setdefault("ci_step_lines", {})
    if ci.path not in cache:
        cache[ci.path] = _expand(project, ci)
    return cache[ci.path]


def step_names(project, ci: CIFile) -> list[StepLine]:
    """Job and step names of ``ci`` and of the local actions it uses."""
    names = [StepLine(name, ci.path, line) for name, line in ci.names]
    for action, line in _local_actions(project, ci):
        names += [StepLine(name, ci.path, line, via=action.path) for name, _ in action.names]
    return names


def _expand(project, ci: CIFile) -> list[StepLine]:
    lines = [StepLine(text, ci.path, line) for text, line in ci.commands]
    for action, line in _local_actions(project, ci):
        lines += [StepLine(text, ci.path, line, via=action.path) for text, _ in action.commands]
        lines += [
            StepLine(t, ci.path, line, via=v)
            for text, _ in action.commands
            for t, v in _called(project, text)
        ]
    for text, line in ci.commands:
        lines += [StepLine(called, ci.path, line, via=via) for called, via in _called(project, text)]
    return lines


def _local_actions(project, ci: CIFile) -> list[tuple[CIFile, int | None]]:
    cache = project.cache.setdefault("ci_local_actions", {})
    if ci.path in cache:
        return cache[ci.path]
    found = []
    for text, line in ci.commands:
        if not text.startswith("uses: ./"):
            continue
        folder = _inside_root("", text.removeprefix("uses: ").split("@", 1)[0])
        for name in ("action.yml", "action.yaml"):
            rel = posixpath.join(folder, name) if folder is not None else None
            if rel and rel in project.inventory.all_files:
                raw, error = _read(project, rel)
                found.append((parse_action(rel, raw, error), line))
                break
    cache[ci.path] = found
    return found


def _called(project, text: str) -> list[tuple[str, str]]:
    """(line, where it comes from) for the scripts, targets and package scripts ``text`` runs."""
    from .checks._shell import commands  # the shell splitter lives with the checks that use it

    found: list[tuple[str, str]] = []
    cwd = ""
    for command in commands(text):
        words, program = command.words, command.program
        if program == "cd" and len(words) > 1:
            cwd = _inside_root(cwd, words[1]) or cwd
        elif program in ("make", "gmake"):
            found += _make_lines(project, cwd, words[1:])
        elif program in _NODE_RUNNERS:
            found += _package_script_lines(project, cwd, command)
        elif program in _SHELL_PROGRAMS:
            script = next((w for w in words[1:] if not w.startswith("-")), None)
            if script and "-c" not in words:
                found += _script_lines(project, cwd, script)
        elif "/" in words[0]:
            found += _script_lines(project, cwd, words[0])
    return found


def _script_lines(project, cwd: str, path: str) -> list[tuple[str, str]]:
    rel = _inside_root(cwd, path)
    if rel is None or rel not in project.inventory.all_files:
        return []
    raw, _ = _read(project, rel)
    if raw is None:
        return []
    lines = raw.decode("utf-8", "replace").splitlines()[:MAX_LINES]
    return [
        (stripped, f"{rel}:{number}")
        for number, line in enumerate(lines, start=1)
        if (stripped := line.strip()) and not stripped.startswith("#")
    ]


def _make_lines(project, cwd: str, args: tuple[str, ...]) -> list[tuple[str, str]]:
    folder, makefile, targets = cwd, None, []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-C", "--directory") and index + 1 < len(args):
            folder, index = _inside_root(cwd, args[index + 1]) or cwd, index + 2
            continue
        if arg in ("-f", "--file", "--makefile") and index + 1 < len(args):
            makefile, index = args[index + 1], index + 2
            continue
        if not arg.startswith("-") and "=" not in arg:
            targets.append(arg)
        index += 1
    candidates = [makefile] if makefile else ["GNUmakefile", "makefile", "Makefile"]
    for name in candidates:
        rel = _inside_root(folder, name)
        if rel and rel in project.inventory.all_files:
            raw, _ = _read(project, rel)
            return _recipes(raw.decode("utf-8", "replace"), targets, rel) if raw else []
    return []


def _recipes(text: str, targets: list[str], rel: str) -> list[tuple[str, str]]:
    """Recipe lines of ``targets`` (the first rule's when none is named) and of their prerequisites."""
    rules: dict[str, tuple[list[str], list[tuple[str, int]]]] = {}
    order: list[str] = []
    current: list[tuple[str, int]] | None = None
    for number, line in enumerate(text.splitlines()[:MAX_LINES], start=1):
        if line.startswith("\t") and current is not None:
            recipe = line.strip().lstrip("@-+").strip()
            if recipe:
                current.append((recipe, number))
            continue
        match = _MAKE_RULE.match(line)
        if match and not line.startswith((".PHONY", "export ")):
            current = []
            for target in match.group(1).split():
                rules.setdefault(target, (match.group(2).split(), current))
                order.append(target)
        elif line.strip() and not line.startswith("#"):
            current = None
    lines: list[tuple[str, str]] = []
    for target in targets or order[:1]:
        prerequisites = rules.get(target, ([], []))[0]
        for name in dict.fromkeys([target, *prerequisites]):
            lines += [(recipe, f"{rel}:{number}") for recipe, number in rules.get(name, ([], []))[1]]
    return lines


def _package_script_lines(project, cwd: str, command) -> list[tuple[str, str]]:
    first = command.first_argument(1)
    name = command.first_argument(2) if first == "run" else first
    if not name or name in ("install", "ci", "i", "add", "exec", "x"):
        return []
    rel = _inside_root(cwd, "package.json")
    if rel is None or rel not in project.inventory.all_files:
        return []
    raw, _ = _read(project, rel)
    try:
        scripts = json.loads(raw).get("scripts") if raw else None
    except (ValueError, AttributeError):
        return []
    script = scripts.get(name) if isinstance(scripts, dict) else None
    return [(script, f"{rel} scripts.{name}")] if isinstance(script, str) else []


def _inside_root(cwd: str, path: str) -> str | None:
    return within_root(cwd, path)


def _read(project, rel: str) -> tuple[bytes | None, str | None]:
    try:
        return project.inventory.read(rel), None
    except OSError as exc:
        return None, exc.strerror or str(exc)
