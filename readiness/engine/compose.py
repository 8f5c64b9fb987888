"""Load a compose file: safe YAML, Compose Specification validation, ``extends`` and interpolation.

``load_compose`` never raises. A file that cannot be read or parsed comes back with ``error`` set;
a file that parses but breaks the specification comes back usable, with ``schema_errors``. A file
with template syntax (Jinja's ``{{ name }}`` or ``{% ... %}``) comes back with ``template`` set and
nothing else: it is not a compose file until rendered (checks.md, Version 2).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import compose_schema, devfiles, safe_yaml
from .compose_extends import ExtendsError, resolve_extends
from .compose_interpolate import InterpolationError, interpolate
from .model import Evidence
from .templates import template_mark

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from .dockerfile import Dockerfile

# Names Compose itself looks for, and their dotted variants (docker-compose.prod.yml): always
# compose files. Other *compose*.y(a)ml names (docker-compose-notes.yml) must look like one.
_CANONICAL = re.compile(r"^(docker-)?compose(\.[^/]+)?\.ya?ml$", re.IGNORECASE)
_TOP_KEYS = {"version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models"}
_LOOKS_LIKE_COMPOSE_TEXT = re.compile(r"^(services|include)\s*:", re.MULTILINE)

Reader = Callable[[str], bytes]


@dataclass
class BuildSpec:
    context: str | None  # root-relative posix folder ("" = root); None when remote or outside the root
    dockerfile: str | None  # root-relative path of the Dockerfile; None with dockerfile_inline
    target: str | None
    line: int | None
    cache_from: list[str] = field(default_factory=list)


@dataclass
class ComposeService:
    name: str
    data: dict  # after extends and interpolation defaults
    line: int | None
    build: BuildSpec | None = None
    # Before interpolation: tells a literal from a ``${VAR}`` (no_plaintext_secrets, images_pinned).
    raw: dict = field(default_factory=dict)
    # Line of each key under the service, by path relative to it (("healthcheck", "test") -> 12).
    key_lines: dict[tuple, int] = field(default_factory=dict)
    # Set by linking.py to the parsed Dockerfile this service builds, if any.
    dockerfile: Dockerfile | None = None
    # The file that defines the service (``line`` is there), and, for a service merged from several
    # files (an overlay onto its base), the file of each key that came from another one.
    file: str = ""
    key_files: dict[tuple, str] = field(default_factory=dict)
    # False when the file gives it no image:, build: or extends: of its own (an overlay's service).
    defined: bool = True

    def line_of(self, *path: str | int) -> int | None:
        """Line of a key under the service, else of its nearest ancestor, else of the service."""
        return self.place_of(*path)[1]

    def place_of(self, *path: str | int) -> tuple[str, int | None]:
        """(file, line) of a key under the service, else of its nearest ancestor, else of the service."""
        while path:
            if path in self.key_lines:
                return self.key_files.get(path, self.file), self.key_lines[path]
            path = path[:-1]
        return self.file, self.line


@dataclass
class ComposeFile:
    path: str
    dir: str
    error: str | None = None
    schema_errors: list[Evidence] = field(default_factory=list)
    data: dict | None = None
    services: dict[str, ComposeService] = field(default_factory=dict)
    is_dev: bool = False
    is_override: bool = False
    # (name, has a default, line) of every interpolated variable.
    variables: list[tuple[str, bool, int | None]] = field(default_factory=list)
    networks: dict = field(default_factory=dict)
    volumes: dict = field(default_factory=dict)
    # Why the file is a template and where its first template mark is; such a file has nothing else.
    template: str | None = None
    template_line: int | None = None
    # Compose merge tags (!reset / !override) by path, for merging this file onto another.
    merge_tags: dict[tuple, str] = field(default_factory=dict)
    # Set by compose_project.py: the files an overlay is merged onto, and the folder its relative
    # paths resolve against (the first file's, as Compose does with several -f files).
    overlay_of: list[str] = field(default_factory=list)
    project_dir: str | None = None
    # Line of each entry of a top-level include:, by index.
    include_lines: dict[int, int] = field(default_factory=dict)


def is_canonical_name(name: str) -> bool:
    return bool(_CANONICAL.match(name))


def is_development_path(rel: str) -> bool:
    return devfiles.is_development_path(rel, compose=True)


def load_compose(
    rel: str,
    raw: bytes | None,
    error: str | None,
    *,
    read: Reader | None = None,
    assume_compose: bool = False,
) -> ComposeFile | None:
    """Parse one compose candidate. ``read(rel)`` reads another project file, for ``extends: file:``.

    None when a file whose name is not a compose name turns out not to be one; ``assume_compose``
    (a file another one ``include:``s) makes it one whatever its name."""
    folder, name = posixpath.split(rel)
    canonical = assume_compose or is_canonical_name(name)
    compose = ComposeFile(
        path=rel,
        dir=folder,
        is_dev=is_development_path(rel),
        is_override=devfiles.is_override_name(name),
    )
    if error is not None or raw is None:
        compose.error = error or "could not be read"
        return compose if canonical else None
    if _mark_template(compose, raw, canonical):
        return compose if compose.template else None
    try:
        loaded = safe_yaml.load(raw)
    except safe_yaml.YAMLLimitError as exc:
        compose.error = str(exc)
        return compose if canonical else None
    if not isinstance(loaded.data, dict):
        if not canonical:
            return None
        compose.error = f"not a mapping: the top level is {_describe_value(loaded.data)}"
        return compose
    if not canonical and not _looks_like_compose(loaded.data):
        return None
    _fill(compose, loaded, read)
    return compose


def _mark_template(compose: ComposeFile, raw: bytes, canonical: bool) -> bool:
    """Set ``compose.template`` when the text has template syntax; True when it decided the file
    (a template, or a non-compose name whose text does not look like compose)."""
    try:
        text = safe_yaml.decode(raw)
    except safe_yaml.YAMLLimitError:
        return False  # the YAML loader reports it
    mark = template_mark(text)
    if mark is None:
        return False
    if not canonical and not _LOOKS_LIKE_COMPOSE_TEXT.search(text):
        return True
    compose.template_line, compose.template = mark
    return True


def _describe_value(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__} value"


def _looks_like_compose(data: dict) -> bool:
    keys = {str(k) for k in data}
    if keys & {"services", "include"}:
        return True
    return bool(keys & _TOP_KEYS) and all(k in _TOP_KEYS or k.startswith("x-") for k in keys)


def _fill(compose: ComposeFile, loaded: safe_yaml.LoadedYAML, read: Reader | None) -> None:
    data = loaded.data
    compose.merge_tags = loaded.merge_tags
    for path, line in loaded.duplicate_keys:
        compose.schema_errors.append(
            Evidence(compose.path, line, f"{compose_schema.dotted(path)}: duplicate key")
        )
    interpolated = _interpolate_tree(data, (), compose, loaded)
    for path, message in compose_schema.violations(interpolated):
        where = compose_schema.dotted(path) or "(top level)"
        compose.schema_errors.append(Evidence(compose.path, loaded.line_of(path), f"{where}: {message}"))
    compose.data = interpolated
    compose.include_lines = {
        path[1]: line for path, line in loaded.lines.items() if len(path) == 2 and path[0] == "include"
    }
    compose.networks = _mapping(interpolated.get("networks"))
    compose.volumes = _mapping(interpolated.get("volumes"))
    raw_services = data.get("services")
    if not isinstance(raw_services, dict):
        return
    raw_services = {_key(name): service for name, service in raw_services.items()}  # `0:` is "0"
    key_lines = _lines_by_service(loaded.lines)
    for name, raw_service in raw_services.items():
        if not isinstance(raw_service, dict):
            continue
        name = str(name)
        line = loaded.lines.get(("services", name))
        try:
            resolved = resolve_extends(name, raw_services, compose.dir, read)
        except ExtendsError as exc:
            where = loaded.line_of(("services", name, "extends")) or line
            compose.schema_errors.append(Evidence(compose.path, where, f"services.{name}.extends: {exc}"))
            resolved = raw_service
        service = make_service(
            name, resolved, line, key_lines.get(name, {}), file=compose.path, project_dir=compose.dir
        )
        service.defined = any(key in raw_service for key in ("image", "build", "extends"))
        compose.services[name] = service
    if isinstance(interpolated.get("services"), dict):
        interpolated["services"] = {name: s.data for name, s in compose.services.items()}


def make_service(
    name: str,
    raw: dict,
    line: int | None,
    key_lines: dict[tuple, int],
    *,
    file: str,
    project_dir: str,
    key_files: dict[tuple, str] | None = None,
) -> ComposeService:
    """A service from its mapping after ``extends`` (before interpolation); relative paths of its
    ``build`` resolve against ``project_dir``."""
    service = ComposeService(
        name=name,
        data=_interpolate_tree(raw, None, None, None),
        line=line,
        raw=raw,
        key_lines=key_lines,
        file=file,
        key_files=key_files or {},
    )
    service.build = _build_spec(service, project_dir)
    return service


def _lines_by_service(lines: dict[tuple, int]) -> dict[str, dict[tuple, int]]:
    """Service name -> the lines of the keys under it, by path relative to the service."""
    grouped: dict[str, dict[tuple, int]] = {}
    for path, line in lines.items():
        if len(path) > 2 and path[0] == "services":
            grouped.setdefault(str(path[1]), {})[path[2:]] = line
    return grouped


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _interpolate_tree(value, path, compose: ComposeFile | None, loaded: safe_yaml.LoadedYAML | None):
    """Copy of ``value`` with every string value interpolated; keys are not interpolated, as Compose
    does, but made strings as Compose reads them (``0:``, ``1.5:``, ``true:`` are YAML numbers and
    booleans; a mapping key in JSON and in Compose is text).

    With ``compose`` given, variables and interpolation errors are recorded against it (by ``path``).
    """
    if isinstance(value, dict):
        return {
            _key(k): _interpolate_tree(v, (*path, str(k)) if path is not None else None, compose, loaded)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _interpolate_tree(v, (*path, i) if path is not None else None, compose, loaded)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, str) or "$" not in value:
        return value
    try:
        text, variables = interpolate(value)
    except InterpolationError as exc:
        if compose is not None:
            where = compose_schema.dotted(path)
            compose.schema_errors.append(Evidence(compose.path, loaded.line_of(path), f"{where}: {exc}"))
        return value
    if compose is not None:
        line = loaded.line_of(path)
        compose.variables.extend((v.name, v.has_default, line) for v in variables)
    return text


def _key(key) -> str:
    """A mapping key as text: YAML's ``true``/``null`` keys as Compose (Go) spells them."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _build_spec(service: ComposeService, compose_dir: str) -> BuildSpec | None:
    build = service.data.get("build")
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        return None
    context = within_root(compose_dir, str(build.get("context") or "."))
    dockerfile = None
    if context is not None and not build.get("dockerfile_inline"):
        dockerfile = within_root(context, str(build.get("dockerfile") or "Dockerfile"))
    cache_from = build.get("cache_from")
    target = build.get("target")
    return BuildSpec(
        context=context,
        dockerfile=dockerfile,
        target=str(target) if target else None,
        line=service.line_of("build"),
        cache_from=[str(c) for c in cache_from] if isinstance(cache_from, list) else [],
    )


def within_root(base: str, relative: str) -> str | None:
    """``relative`` resolved against the root-relative folder ``base``; None if remote or outside."""
    if "://" in relative or relative.startswith(("git@", "/", "~")) or re.match(r"^[A-Za-z]:", relative):
        return None
    joined = posixpath.normpath(posixpath.join(base, relative.replace("\\", "/")))
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined
