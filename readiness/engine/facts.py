"""Facts about the analysed repository that the apps need besides the checks' results: the HTTP
paths its health checks request, and the stack it uses (for choosing which checklist items apply).

Both are read from the parsed project (no second parse) and are JSON-friendly; their keys are
documented in docs/architecture.md ("What the engine reports besides results").
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from .compose_roles import datastore_kind, image_repository
from .project import Project

# http(s)://host[:port]/path, or a bare localhost[:port]/path as wget and curl accept it.
_URL = re.compile(
    r"(?:https?://[^\s/'\"]+|\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?)(/[^\s'\"\\;|&)]*)?"
)


def _paths_in(command: str) -> list[str]:
    return [match.group(1) or "/" for match in _URL.finditer(command)]


def healthcheck_paths(project: Project) -> list[dict]:
    """``[{"source", "file", "line", "path"}]`` for every HTTP path a health check requests: the
    Dockerfiles' ``HEALTHCHECK`` and the compose services' ``healthcheck.test``."""
    found = []
    for dockerfile in project.dockerfiles:
        if dockerfile.error:
            continue
        instruction = dockerfile.healthcheck_instruction()
        if instruction is None:
            continue
        for path in _paths_in(instruction.value):
            found.append(
                {
                    "source": "Dockerfile HEALTHCHECK",
                    "file": dockerfile.path,
                    "line": instruction.line,
                    "path": path,
                }
            )
    for compose in project.compose_files:
        for service in compose.services.values():
            healthcheck = service.data.get("healthcheck")
            test = healthcheck.get("test") if isinstance(healthcheck, dict) else None
            command = " ".join(map(str, test)) if isinstance(test, list) else str(test or "")
            for path in _paths_in(command):
                found.append(
                    {
                        "source": f"compose healthcheck of {service.name}",
                        "file": compose.path,
                        "line": service.line_of("healthcheck", "test"),
                        "path": path,
                    }
                )
    return found


# Stack facts -----------------------------------------------------------------------------------

# A stack is present when one of its manifest files is, or a Dockerfile builds FROM its image.
STACK_FILES = {
    "python": ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "poetry.lock", "uv.lock"),
    "node": ("package.json",),
    "go": ("go.mod",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
    "rust": ("Cargo.toml",),
    "php": ("composer.json",),
    "ruby": ("Gemfile",),
}
_REQUIREMENTS = re.compile(r"^requirements([-_.][^/]*)?\.(txt|in)$")
STACK_IMAGES = {
    "python": ("python", "pypy"),
    "node": ("node", "bun", "deno"),
    "go": ("golang",),
    "java": ("openjdk", "eclipse-temurin", "amazoncorretto", "maven", "gradle"),
    "rust": ("rust",),
    "php": ("php", "composer"),
    "ruby": ("ruby",),
}
# Deployment and platform files worth knowing about (by file name, anywhere in the tree).
NOTABLE_FILES = (
    "render.yaml",
    "fly.toml",
    "Procfile",
    "app.json",
    "heroku.yml",
    "railway.json",
    "railway.toml",
    "vercel.json",
    "netlify.toml",
    "Chart.yaml",
    "kustomization.yaml",
    "skaffold.yaml",
    "Tiltfile",
    ".readiness.yml",
)
# Client libraries that name the datastore they talk to (dependency name -> datastore kind).
DATASTORE_CLIENTS = {
    "psycopg": "postgres",
    "psycopg2": "postgres",
    "psycopg2-binary": "postgres",
    "asyncpg": "postgres",
    "pg": "postgres",
    "postgres": "postgres",
    "redis": "redis",
    "ioredis": "redis",
    "mysqlclient": "mysql",
    "pymysql": "mysql",
    "mysql2": "mysql",
    "pymongo": "mongo",
    "motor": "mongo",
    "mongodb": "mongo",
    "mongoose": "mongo",
    "elasticsearch": "elasticsearch",
    "pika": "rabbitmq",
    "amqplib": "rabbitmq",
    "kafka-python": "kafka",
    "kafkajs": "kafka",
    # Go modules (the major-version suffix /vN dropped before looking up).
    "github.com/lib/pq": "postgres",
    "github.com/jackc/pgx": "postgres",
    "github.com/redis/go-redis": "redis",
    "github.com/go-redis/redis": "redis",
    "github.com/gomodule/redigo": "redis",
    "github.com/go-sql-driver/mysql": "mysql",
    "go.mongodb.org/mongo-driver": "mongo",
}
MAX_MANIFESTS = 50  # dependency files read per scan, at most
MAX_DEPENDENCIES = 500  # names kept per stack, at most


def _name(rel: str) -> str:
    return PurePosixPath(rel).name


def _python_name(text: str) -> str | None:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else None  # PEP 503 normalised


def _requirements_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):  # -r other.txt, -e ., --hash...
            continue
        name = _python_name(line)
        if name:
            names.add(name)
    return names


def _pyproject_names(text: str) -> set[str]:
    import tomllib  # only for a repository with a pyproject.toml: kept out of every scan's start-up

    data = tomllib.loads(text)
    specs: list[str] = list(data.get("project", {}).get("dependencies", []) or [])
    for extra in (data.get("project", {}).get("optional-dependencies", {}) or {}).values():
        specs += list(extra or [])
    poetry = data.get("tool", {}).get("poetry", {}) or {}
    groups = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    groups += [
        g.get("dependencies", {}) for g in (poetry.get("group", {}) or {}).values() if isinstance(g, dict)
    ]
    specs += [name for group in groups if isinstance(group, dict) for name in group if name != "python"]
    return {name for spec in specs if isinstance(spec, str) and (name := _python_name(spec))}


def _pipfile_names(text: str) -> set[str]:
    import tomllib

    data = tomllib.loads(text)
    names: set[str] = set()
    for key in ("packages", "dev-packages"):
        section = data.get(key)
        if isinstance(section, dict):
            names.update(name for spec in section if (name := _python_name(spec)))
    return names


_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([A-Za-z0-9][A-Za-z0-9._~/-]*)\s+v\S+", re.MULTILINE)


def _go_mod_names(text: str) -> set[str]:
    """Module paths of go.mod's ``require`` lines and blocks (indirect ones too), lower-case."""
    names = set()
    in_block = False
    for line in text.splitlines():
        line = line.split("//", 1)[0].strip()
        if in_block:
            if line.startswith(")"):
                in_block = False
            elif match := _GO_REQUIRE.match(line):
                names.add(match.group(1).lower())
        elif line.startswith("require") and line.endswith("("):
            in_block = True
        elif line.startswith("require ") and (match := _GO_REQUIRE.match(line)):
            names.add(match.group(1).lower())
    return names


def _client_name(name: str) -> str:
    return re.sub(r"/v\d+$", "", name)  # a Go module's major version: github.com/jackc/pgx/v5


def _package_json_names(text: str) -> set[str]:
    data = json.loads(text)
    names: set[str] = set()
    for key in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        section = data.get(key) if isinstance(data, dict) else None
        if isinstance(section, dict):
            names.update(name.lower() for name in section if isinstance(name, str))
    return names


def _dependencies(project: Project) -> dict[str, set[str]]:
    readers = []
    for rel in sorted(project.inventory.all_files):
        name = _name(rel)
        if _REQUIREMENTS.match(name):
            readers.append(("python", rel, _requirements_names))
        elif name == "pyproject.toml":
            readers.append(("python", rel, _pyproject_names))
        elif name == "Pipfile":
            readers.append(("python", rel, _pipfile_names))
        elif name == "package.json":
            readers.append(("node", rel, _package_json_names))
        elif name == "go.mod":
            readers.append(("go", rel, _go_mod_names))
    found: dict[str, set[str]] = {}
    for stack, rel, read in readers[:MAX_MANIFESTS]:
        try:
            names = read(project.inventory.read(rel).decode("utf-8", errors="replace"))
        except (OSError, ValueError, TypeError, AttributeError):  # unreadable or malformed: no names
            continue
        found.setdefault(stack, set()).update(names)
    return found


def _base_image_stacks(project: Project) -> set[str]:
    stacks: set[str] = set()
    for dockerfile in project.dockerfiles:
        for stage in dockerfile.stages:
            if stage.parent is not None:
                continue
            last = image_repository(stage.base).lower().rsplit("/", 1)[-1]
            stacks.update(stack for stack, images in STACK_IMAGES.items() if last in images)
    return stacks


def stack_facts(project: Project) -> dict:
    """What the repository is built with, for template applicability. Keys (all always present):

    - ``stacks``: sorted names among python, node, go, java, rust, php, ruby: a manifest file of
      the stack anywhere in the tree, or a Dockerfile stage FROM its official image;
    - ``dockerfile``, ``compose``: whether a Dockerfile / a compose file was found and parsed;
    - ``datastores``: sorted kinds (postgres, redis, mysql, mongo, ...) run by a compose service's
      image or named by a client library among the dependencies;
    - ``files``: sorted names of NOTABLE_FILES present anywhere (render.yaml, fly.toml, Procfile...);
    - ``dependencies``: ``{stack: sorted names}`` from requirements*.txt, pyproject.toml and
      Pipfile (python, PEP 503 normalised), package.json (node) and go.mod (go, module paths in
      lower case), at most MAX_DEPENDENCIES per stack.
    """
    names = {_name(rel) for rel in project.inventory.all_files}
    stacks = {stack for stack, files in STACK_FILES.items() if names.intersection(files)}
    if any(_REQUIREMENTS.match(name) for name in names):
        stacks.add("python")
    stacks |= _base_image_stacks(project)
    dependencies = _dependencies(project)
    datastores = {
        kind
        for compose in project.compose_files
        for service in compose.services.values()
        if (kind := datastore_kind(service, with_memcached=True))
    }
    datastores.update(
        DATASTORE_CLIENTS[_client_name(n)]
        for deps in dependencies.values()
        for n in deps
        if _client_name(n) in DATASTORE_CLIENTS
    )
    return {
        "stacks": sorted(stacks),
        "dockerfile": any(not d.error for d in project.dockerfiles),
        "compose": any(not c.error for c in project.compose_files),
        "datastores": sorted(datastores),
        "files": sorted(names.intersection(NOTABLE_FILES)),
        "dependencies": {
            stack: sorted(deps)[:MAX_DEPENDENCIES] for stack, deps in sorted(dependencies.items())
        },
    }
