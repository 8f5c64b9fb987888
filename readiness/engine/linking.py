"""Parse the discovered files and link them: compose services to the Dockerfiles they build,
Dockerfiles to their build contexts and those to the `.dockerignore` that applies.

Every file is read through ``Inventory.read`` (no symlinks, size-capped); a file that cannot be
read is still parsed, with the reason as its ``error``, so checks can report it.
"""

from __future__ import annotations

import importlib
import posixpath
from dataclasses import dataclass, field

from .dockerfile import Dockerfile, is_dev_dockerfile_path, parse_dockerfile
from .dockerignore import DockerIgnore, parse_dockerignore
from .model import Skipped
from .templates import template_mark


@dataclass
class BuildContext:
    """A folder something is built from: a compose ``build:`` or a Dockerfile's own folder."""

    context: str  # root-relative posix folder, "" for the root
    dockerfile: str | None  # root-relative path; None for a compose dockerfile_inline
    is_dev: bool
    dockerignore: DockerIgnore | None
    built_by: list = field(default_factory=list)  # [(ComposeFile, ComposeService)]

    @property
    def label(self) -> str:
        return self.context or "."


def parse_and_link(project) -> None:
    inventory = project.inventory
    parsed = (_parse_dockerfile(project, rel) for rel in inventory.dockerfiles)
    project.dockerfiles = [dockerfile for dockerfile in parsed if dockerfile is not None]
    for rel in inventory.dockerignores:
        raw, error = read_file(project, rel)
        project.dockerignores[rel] = parse_dockerignore(rel, raw, error)
    project.compose_files = _parse_all(project, inventory.compose_candidates, "compose", "load_compose")
    project.ci_files = _parse_all(project, inventory.ci_files, "ci", "parse_ci")
    project.compose_units = _compose_units(project)
    _link_services(project)
    for dockerfile in project.dockerfiles:
        dockerfile.is_dev = is_dev_dockerfile_path(dockerfile.path) or bool(
            dockerfile.built_by and all(compose.is_dev for compose, _ in dockerfile.built_by)
        )
    project.build_contexts = _build_contexts(project)


def read_file(project, rel: str) -> tuple[bytes | None, str | None]:
    """The file's bytes, or None and a short readable reason."""
    try:
        return project.inventory.read(rel), None
    except OSError as exc:
        return None, exc.strerror or str(exc)


def _parse_dockerfile(project, rel: str) -> Dockerfile | None:
    """The parsed Dockerfile; None for a template (reported once under ``skipped``, judged by nothing)."""
    raw, error = read_file(project, rel)
    if error is not None:
        return Dockerfile(path=rel, error=error)
    mark = template_mark(raw.decode("utf-8", "replace")) if b"{" in raw else None
    if mark is not None:
        project.inventory.skipped.append(Skipped(rel, f"{mark[1]} (line {mark[0]})"))
        project.cache.setdefault("dockerfile_templates", set()).add(rel)
        return None
    return parse_dockerfile(rel, raw)


def _parse_all(project, paths: list[str], module_name: str, function_name: str) -> list:
    """Run another family's parser (compose.load_compose, ci.parse_ci) over its files.

    Tolerates the module or function not existing yet, and a parser that raises: one broken
    parser must not sink the scan, so the file is left out with a note.
    """
    parse = _optional_function(module_name, function_name)
    if parse is None:
        return []
    parsed = []
    for rel in paths:
        raw, error = read_file(project, rel)
        try:
            if module_name == "compose":
                result = parse(rel, raw, error, read=project.inventory.read)
            else:
                result = parse(rel, raw, error)
        except Exception as exc:
            import logging  # only on a crash: start-up does not pay for it

            logging.getLogger(__name__).exception("parsing %s crashed", rel)
            project.notes.append(f"{rel}: internal error while parsing ({type(exc).__name__}); file left out")
            continue
        if result is not None:
            parsed.append(result)
    return parsed


def _optional_function(module_name: str, function_name: str):
    try:
        module = importlib.import_module(f"{__package__}.{module_name}")
    except ImportError:
        return None
    return getattr(module, function_name, None)


def _compose_units(project) -> list:
    """What the compose checks judge: files, overlays merged onto their bases (compose_project.py)."""
    from .compose_project import build_units

    try:
        return build_units(project)
    except Exception as exc:  # one broken step must not sink the scan: judge the files as written
        import logging  # only on a crash: start-up does not pay for it

        logging.getLogger(__name__).exception("building compose projects crashed")
        project.notes.append(f"compose files judged one by one: internal error ({type(exc).__name__})")
        return [c for c in project.compose_files if not c.template]


def unit_services(project):
    """(unit, service) for every compose service of every unit, each service object once."""
    seen: set[int] = set()
    for compose in project.compose_units:
        for service in compose.services.values():
            if id(service) not in seen:
                seen.add(id(service))
                yield compose, service


def _link_services(project) -> None:
    """Set ``service.dockerfile`` and ``Dockerfile.built_by`` for every compose ``build:``."""
    for compose, service in unit_services(project):
        build = service.build
        if build is None or not build.dockerfile:
            continue
        dockerfile = project.dockerfile(build.dockerfile)
        templates = project.cache.get("dockerfile_templates", ())
        if (
            dockerfile is None
            and build.dockerfile in project.inventory.all_files
            and build.dockerfile not in templates
        ):
            # A Dockerfile whose name discovery did not recognise (e.g. `docker/Prodfile`).
            dockerfile = _parse_dockerfile(project, build.dockerfile)
            if dockerfile is not None:
                project.dockerfiles.append(dockerfile)
        service.dockerfile = dockerfile
        if dockerfile is not None:
            dockerfile.built_by.append((compose, service))


def _build_contexts(project) -> list[BuildContext]:
    contexts: dict[tuple[str, str | None], BuildContext] = {}
    for compose, service in unit_services(project):
        build = service.build
        if build is None or build.context is None:
            continue  # remote or outside the root: nothing here to check
        key = (build.context, build.dockerfile)
        if key not in contexts:
            contexts[key] = BuildContext(build.context, build.dockerfile, True, None)
        contexts[key].built_by.append((compose, service))
    for build_context in contexts.values():
        dockerfile = project.dockerfile(build_context.dockerfile) if build_context.dockerfile else None
        built_only_by_dev = all(compose.is_dev for compose, _ in build_context.built_by)
        build_context.is_dev = built_only_by_dev or bool(dockerfile and dockerfile.is_dev)
    for dockerfile in project.dockerfiles:
        if not dockerfile.built_by:
            folder = posixpath.dirname(dockerfile.path)
            contexts.setdefault(
                (folder, dockerfile.path), BuildContext(folder, dockerfile.path, dockerfile.is_dev, None)
            )
    for build_context in contexts.values():
        build_context.dockerignore = _dockerignore_for(project, build_context)
    return sorted(contexts.values(), key=lambda c: (c.context, c.dockerfile or ""))


def _dockerignore_for(project, build_context: BuildContext) -> DockerIgnore | None:
    """``<Dockerfile>.dockerignore`` beside the Dockerfile wins over ``<context>/.dockerignore``."""
    candidates = []
    if build_context.dockerfile:
        candidates.append(build_context.dockerfile + ".dockerignore")
    candidates.append(posixpath.join(build_context.context, ".dockerignore"))
    for rel in candidates:
        if rel in project.dockerignores:
            return project.dockerignores[rel]
    return None
