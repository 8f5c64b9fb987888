"""Resolve a service's ``extends`` (same file, or ``file:`` inside the project root) into one mapping.

Merging follows Compose's rules (compose_merge.py, the same as for overlay files): mappings merge
key by key, ``command``/``entrypoint`` and scalars are replaced, and list fields such as ``ports``
and ``volumes`` are combined.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from . import safe_yaml
from .compose_merge import merge_service

MAX_CHAIN = 10

Reader = Callable[[str], bytes]


class ExtendsError(Exception):
    pass


def resolve_extends(name: str, services: dict, compose_dir: str, read: Reader | None) -> dict:
    """The service ``name`` of ``services`` with its ``extends`` chain merged in."""
    return _resolve(name, services, compose_dir, compose_dir, read, seen=())


def _resolve(name, services, file_dir, home_dir, read, seen) -> dict:
    key = (file_dir, name, id(services))
    if key in seen:
        raise ExtendsError(f"extends loops back to service '{name}'")
    if len(seen) >= MAX_CHAIN:
        raise ExtendsError(f"extends chain longer than {MAX_CHAIN}")
    service = services.get(name)
    if not isinstance(service, dict):
        raise ExtendsError(f"service '{name}' not found")
    spec = service.get("extends")
    if spec is None:
        return _rebase(service, file_dir, home_dir)
    if isinstance(spec, str):
        spec = {"service": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("service"), str):
        raise ExtendsError("extends needs a service name")
    base_services, base_dir = services, file_dir
    if spec.get("file"):
        base_services, base_dir = _other_file(str(spec["file"]), file_dir, read)
    base = _resolve(spec["service"], base_services, base_dir, home_dir, read, (*seen, key))
    own = _rebase({k: v for k, v in service.items() if k != "extends"}, file_dir, home_dir)
    return merge_service(base, own)


def _other_file(relative: str, file_dir: str, read: Reader | None) -> tuple[dict, str]:
    path = posixpath.normpath(posixpath.join(file_dir, relative))
    if relative.startswith("/") or path == ".." or path.startswith("../"):
        raise ExtendsError(f"file {relative} is outside the project root")
    if read is None:
        raise ExtendsError(f"file {relative} was not read")
    try:
        loaded = safe_yaml.load(read(path))
    except (OSError, safe_yaml.YAMLLimitError) as exc:
        raise ExtendsError(f"file {relative}: {exc}") from None
    services = loaded.data.get("services") if isinstance(loaded.data, dict) else None
    if not isinstance(services, dict):
        raise ExtendsError(f"file {relative} has no services")
    return services, posixpath.dirname(path)


def _rebase(service: dict, file_dir: str, home_dir: str) -> dict:
    """Make a build context from another folder's file relative to the extending file's folder."""
    if file_dir == home_dir or "build" not in service:
        return service
    build = service["build"]
    context = (
        build if isinstance(build, str) else build.get("context", ".") if isinstance(build, dict) else None
    )
    if not isinstance(context, str) or "://" in context or context.startswith(("/", "~", "$")):
        return service
    moved = posixpath.relpath(posixpath.normpath(posixpath.join(file_dir, context)), home_dir or ".")
    build = {**build, "context": moved} if isinstance(build, dict) else moved
    return {**service, "build": build}
