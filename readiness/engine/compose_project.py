"""Compose projects, not loose files (checks.md, Version 2): the *units* the compose checks judge.

A unit is what ``docker compose`` runs from one file:

- a file on its own, with the services of the files it ``include:``s (Compose imports them into
  the same project);
- an **overlay** merged onto the files that define its services, with Compose's merge rules
  (compose_merge.py). An overlay is a file some of whose services have no ``image:``, ``build:``
  or ``extends:`` of their own, each of them defined in another compose file of the same folder or
  a parent folder (an override, ``compose.prod.yml`` beside ``compose.yml``, ``overrides/*.yml``).
  Compose could not run such a file alone, so it is never judged alone.

Templates are no unit. An unreadable file is a unit of its own, which the checks report as such.
Included files are parsed even when their names are not compose names, never outside the root,
and an include cycle or a missing file is a Compose error reported under ``compose.valid``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from .compose import ComposeFile, ComposeService, load_compose, make_service, within_root
from .compose_merge import merge_service, tags_by_service
from .model import Evidence, Skipped

MAX_INCLUDE_DEPTH = 10
MAX_INCLUDED_FILES = 100
# Bases of bases (an overlay onto an overlay...): real projects have one or two levels.
MAX_OVERLAY_DEPTH = 5
_MAIN_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")

Reader = Callable[[str], bytes]


def build_units(project) -> list[ComposeFile]:
    """Parse what ``include:`` names (adding it to ``project.compose_files``) and return the units."""
    includes = _resolve_includes(project)
    files = [c for c in project.compose_files if not c.template]
    readable = [c for c in files if not c.error]
    units = []
    for compose in files:
        if compose.error:
            units.append(compose)
            continue
        chain = _bases(compose, readable, seen=(compose.path,), depth=0)
        if chain:
            units.append(_merged(compose, chain))
        elif includes.get(compose.path):
            units.append(_with_includes(compose, includes[compose.path]))
        else:
            units.append(compose)
    return units


# --- overlays ----------------------------------------------------------------------------------


def _undefined(compose: ComposeFile) -> list[str]:
    return [name for name, service in compose.services.items() if not service.defined]


def _bases(compose: ComposeFile, readable: list[ComposeFile], *, seen: tuple, depth: int) -> list | None:
    """The files to merge ``compose`` onto, in merge order; None when it is not an overlay."""
    undefined = _undefined(compose)
    if not undefined or depth > MAX_OVERLAY_DEPTH:
        return None
    direct: list[ComposeFile] = []
    for name in undefined:
        base = _defining_file(name, compose, readable, seen)
        if base is None:
            return None  # defined nowhere: Compose would refuse it, and it is judged as written
        if base not in direct:
            direct.append(base)
    ordered: list[ComposeFile] = []
    for base in direct:
        deeper = _bases(base, readable, seen=(*seen, base.path), depth=depth + 1) or []
        for member in [*deeper, base]:
            if member not in ordered:
                ordered.append(member)
    return ordered


def _defining_file(name: str, compose: ComposeFile, readable: list[ComposeFile], seen: tuple):
    """The nearest file (same folder, then parents) defining service ``name``: production files
    first, then Compose's own file names, then by path."""
    folder = compose.dir
    while True:
        candidates = [
            c
            for c in readable
            if c.dir == folder and c.path not in seen and name in c.services and c.services[name].defined
        ]
        if candidates:
            return min(candidates, key=_base_preference)
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def _base_preference(compose: ComposeFile) -> tuple:
    name = posixpath.basename(compose.path).lower()
    return (compose.is_dev, name not in _MAIN_NAMES, compose.path)


def _merged(overlay: ComposeFile, bases: list[ComposeFile]) -> ComposeFile:
    """The overlay merged onto its bases: one service per name, each key placed in its own file."""
    files = [*bases, overlay]
    project_dir = files[0].dir  # Compose resolves every file's paths against the first file's folder
    names = list(dict.fromkeys(name for c in files for name in c.services))
    tags = {c.path: tags_by_service(c.merge_tags) for c in files}
    services = {}
    for name in names:
        raw, key_lines, key_files, file, line = None, {}, {}, "", None
        for compose in files:
            service = compose.services.get(name)
            if service is None:
                continue
            raw = (
                service.raw if raw is None else merge_service(raw, service.raw, tags[compose.path].get(name))
            )
            for path, key_line in service.key_lines.items():
                key_lines[path], key_files[path] = key_line, service.place_of(*path)[0]
            file, line = service.file, service.line
        merged = make_service(
            name,
            raw,
            line,
            key_lines,
            file=file,
            project_dir=project_dir,
            key_files={path: f for path, f in key_files.items() if f != file},
        )
        services[name] = merged
    return _view(overlay, services, files, overlay_of=[c.path for c in bases], project_dir=project_dir)


def _view(main: ComposeFile, services: dict, members: list, **extra) -> ComposeFile:
    """A unit named after ``main`` holding ``services`` and the networks and volumes of ``members``."""
    networks, volumes = {}, {}
    for member in members:
        networks.update(member.networks)
        volumes.update(member.volumes)
    return ComposeFile(
        path=main.path,
        dir=main.dir,
        data=main.data,
        services=services,
        is_dev=main.is_dev,
        is_override=main.is_override,
        variables=main.variables,
        networks=networks,
        volumes=volumes,
        merge_tags=main.merge_tags,
        **extra,
    )


# --- include: ----------------------------------------------------------------------------------


def _with_includes(compose: ComposeFile, included: list[ComposeFile]) -> ComposeFile:
    services: dict[str, ComposeService] = {}
    for member in [*included, compose]:  # the including file's own services win a name clash
        services.update({name: s for name, s in member.services.items()})
    readable = [c for c in included if not c.error and not c.template]
    return _view(compose, services, [*readable, compose])


def _resolve_includes(project) -> dict[str, list[ComposeFile]]:
    """Path of each file that includes others -> every file it includes, directly or not."""
    by_path = {c.path: c for c in project.compose_files}
    direct: dict[str, list[tuple[ComposeFile, int | None]]] = {}
    budget = [MAX_INCLUDED_FILES]
    pending = [c for c in project.compose_files if c.data and c.data.get("include")]
    visited: set[str] = set()
    while pending:
        compose = pending.pop()
        if compose.path in visited:
            continue
        visited.add(compose.path)
        direct[compose.path] = []
        for index, rel, line in _include_entries(project, compose):
            target = by_path.get(rel)
            if target is None:
                target = _load_included(project, compose, rel, index, line, budget)
                if target is None:
                    continue
                by_path[rel] = target
                project.compose_files.append(target)
            direct[compose.path].append((target, line))
            if target.data and target.data.get("include"):
                pending.append(target)
    result = {}
    for path in direct:
        closure = _closure(path, direct, by_path)
        if closure:
            result[path] = closure
    return result


def _closure(path: str, direct: dict, by_path: dict) -> list[ComposeFile]:
    """Every file ``path`` includes, transitively; a cycle is reported on the include that closes it."""
    found: list[ComposeFile] = []
    stack = [(path, (path,))]
    while stack:
        current, chain = stack.pop()
        for target, line in direct.get(current, []):
            if target.path in chain:
                message = f"include: {target.path} leads back here (an include cycle)"
                _report(by_path[current], line, message)
                continue
            if len(chain) >= MAX_INCLUDE_DEPTH:
                _report(by_path[current], line, f"include: nested deeper than {MAX_INCLUDE_DEPTH} files")
                continue
            if target not in found:
                found.append(target)
                stack.append((target.path, (*chain, target.path)))
    return [c for c in found if c.path != path]


def _include_entries(project, compose: ComposeFile) -> list[tuple[int, str, int | None]]:
    """(index, root-relative path, line) of each local file ``include:`` names."""
    entries = compose.data.get("include")
    if not isinstance(entries, list):
        return []
    found = []
    for index, entry in enumerate(entries):
        paths = entry.get("path") if isinstance(entry, dict) else entry
        for path in paths if isinstance(paths, list) else [paths]:
            if not isinstance(path, str) or not path:
                continue
            if "://" in path or path.startswith(("git@", "oci:")):
                continue  # a remote project: nothing here to read
            rel = within_root(compose.dir, path)
            line = _include_line(compose, index)
            if rel is None:
                reason = f"included by {compose.path} but outside the scanned root; not read"
                project.inventory.skipped.append(Skipped(path, reason))
                continue
            found.append((index, rel, line))
    return found


def _include_line(compose: ComposeFile, index: int) -> int | None:
    return compose.include_lines.get(index)


def _load_included(project, compose, rel: str, index: int, line, budget: list[int]) -> ComposeFile | None:
    if budget[0] <= 0:
        _report(compose, line, f"include: more than {MAX_INCLUDED_FILES} included files; the rest not read")
        return None
    budget[0] -= 1
    try:
        raw, error = project.inventory.read(rel), None  # refuses symlinks and oversized files
    except FileNotFoundError:
        _report(compose, line, f"include[{index}]: {rel} does not exist")
        return None
    except OSError as exc:
        raw, error = None, exc.strerror or str(exc)
        project.inventory.skipped.append(Skipped(rel, f"included by {compose.path}: {error}"))
    return load_compose(rel, raw, error, read=project.inventory.read, assume_compose=True)


def _report(compose: ComposeFile, line: int | None, message: str) -> None:
    evidence = Evidence(compose.path, line, message)
    if evidence not in compose.schema_errors:
        compose.schema_errors.append(evidence)
