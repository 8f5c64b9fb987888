"""The ``compose.*`` checks of checks.md, over the compose files ``compose.load_compose`` parsed."""

from __future__ import annotations

import posixpath
import re

from .. import compose_syntax as syntax
from ..compose import ComposeFile, ComposeService
from ..compose_roles import (
    DEPLOYER_VALUE,
    POSTGRES_FAMILY,
    REDIS_FAMILY,
    command_words,
    datastore_kind,
    has_healthcheck,
    healthcheck_disabled,
    image_tag,
    is_interpolated,
    is_one_shot,
    is_scheduler,
    is_secret_like,
    left_to_deployer,
    restart_mode,
    unreadable_dockerfile,
    with_deployer_marks,
)
from ..model import CheckResult, Evidence, Status
from ..registry import check
from ._compose_common import Findings, at, judge, long_running

MIN_POSTGRES_SHM = 256 * 1024 * 1024


def _snippet(text: str) -> str:
    """A remediation written indented in the source, ready to paste (textwrap.dedent for spaces;
    not textwrap itself, whose import compiles a large regex on every start)."""
    lines = text.split("\n")
    margin = min((len(line) - len(line.lstrip(" ")) for line in lines if line.strip()), default=0)
    return "\n".join(line[margin:] if line.strip() else "" for line in lines).strip("\n")


@check(
    "compose.valid",
    title="Compose files are valid",
    category="reliability",
    severity="high",
    remediation="Fix the reported keys; `docker compose -f <file> config --quiet` validates a file.",
)
def compose_valid(project) -> CheckResult:
    """Every compose file (development ones too) parses as one YAML mapping within the limits (1 MiB,
    10,000 alias dereferences, depth 100) and follows the Compose Specification. A file with template
    syntax (Jinja) is reported as a template and judged by nothing else."""
    result = CheckResult("compose.valid", Status.NA)
    errors, violations, templates, valid = [], [], [], []
    for compose in project.compose_files:
        if compose.template:
            templates.append(Evidence(compose.path, compose.template_line, compose.template))
        elif compose.error:
            line = re.search(r"\(line (\d+)", compose.error)
            errors.append(Evidence(compose.path, int(line.group(1)) if line else None, compose.error))
        elif compose.schema_errors:
            violations += compose.schema_errors
        else:
            valid.append(Evidence(compose.path, None, "valid"))
    if errors:
        result.status, result.evidence = Status.ERROR, errors + violations + templates
    elif violations:
        result.status, result.evidence = Status.FAIL, violations + templates
    elif valid:
        result.status, result.evidence = Status.PASS, valid + templates
    else:
        result.evidence = templates  # only templates: nothing to judge, but say why
    return result


@check(
    "compose.healthchecks",
    title="Long-running services have healthchecks",
    category="reliability",
    severity="high",
    sources=("001", "003"),
    refs=("KICS: Healthcheck Not Set",),
    remediation=_snippet(
        """
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 20s
"""
    ),
)
def compose_healthchecks(project) -> CheckResult:
    """Every long-running service has a healthcheck: its own ``healthcheck:`` (not ``disable: true``)
    or its built image's ``HEALTHCHECK``."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in long_running(compose):
            found.checked += 1
            if has_healthcheck(service):
                continue
            if healthcheck_disabled(service):
                found.fail.append(at(compose, service, "healthcheck is disabled", "healthcheck"))
            elif unreadable_dockerfile(service):
                message = "no healthcheck here, and its Dockerfile could not be read"
                found.undecided.append(at(compose, service, message))
            elif service.dockerfile is not None:
                message = "no healthcheck, in compose or in its Dockerfile"
                found.fail.append(at(compose, service, message))
            else:
                found.fail.append(at(compose, service, "no healthcheck"))
        return found

    return judge("compose.healthchecks", project, inspect, what="long-running service")


@check(
    "compose.depends_on_healthy",
    title="depends_on waits for healthy dependencies",
    category="reliability",
    severity="medium",
    sources=("001", "003"),
    remediation=_snippet(
        """
    depends_on:
      db:
        condition: service_healthy
"""
    ),
)
def compose_depends_on_healthy(project) -> CheckResult:
    """Every ``depends_on`` on a service that has a healthcheck (its own or its built image's) uses
    ``condition: service_healthy`` (or, on a one-shot service such as a migration,
    ``service_completed_successfully``); ``na`` where there is no ``depends_on``."""
    production = [c for c in project.compose_units if not c.is_dev and not c.error]

    def find(compose: ComposeFile, name: str) -> ComposeService | None:
        if name in compose.services:
            return compose.services[name]
        return next((c.services[name] for c in production if name in c.services), None)

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            for name, condition in syntax.depends_on(service.data.get("depends_on")).items():
                found.checked += 1
                target = find(compose, name)
                if condition == "service_healthy" or target is None or not has_healthcheck(target):
                    continue
                # Waiting for a one-shot (a migration) to finish is stronger than waiting for it
                # to be healthy, and a one-shot that exits never stays healthy.
                if condition == "service_completed_successfully" and is_one_shot(target):
                    continue
                if condition == "service_completed_successfully":
                    message = f"waits for long-running {name} to exit; use condition: service_healthy"
                else:
                    message = f"waits for {name} only to start ({condition}); use condition: service_healthy"
                found.fail.append(at(compose, service, message, "depends_on", name))
        return found

    return judge(
        "compose.depends_on_healthy", project, inspect, what="depends_on entry", na_without_targets=True
    )


@check(
    "compose.restart_policy",
    title="Long-running services restart",
    category="reliability",
    severity="medium",
    sources=("001", "003"),
    remediation="restart: unless-stopped",
)
def compose_restart_policy(project) -> CheckResult:
    """Every long-running service has ``restart:`` other than ``"no"``, or ``deploy.restart_policy``."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in long_running(compose):
            found.checked += 1
            mode = restart_mode(service)
            if mode is None:
                found.fail.append(at(compose, service, "no restart policy"))
            elif mode in ("no", "none"):
                found.fail.append(at(compose, service, f"restart policy is {mode!r}", "restart"))
        return found

    return judge("compose.restart_policy", project, inspect, what="long-running service")


@check(
    "compose.resource_limits",
    title="Services have memory and CPU limits",
    category="performance",
    severity="medium",
    sources=("001", "003"),
    refs=("KICS: Memory Not Limited", "KICS: Cpus Not Limited"),
    remediation=_snippet(
        """
    deploy:
      resources:
        limits:
          cpus: "1.0"
          memory: 512M
"""
    ),
)
def compose_resource_limits(project) -> CheckResult:
    """Every long-running service has a memory limit and a CPU limit; a memory limit alone everywhere
    is ``warn``."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in long_running(compose):
            found.checked += 1
            memory = _limit_set(service, ("deploy", "resources", "limits", "memory"), ("mem_limit",))
            cpu = _limit_set(service, ("deploy", "resources", "limits", "cpus"), ("cpus",), ("cpu_quota",))
            if not memory:
                missing = "no memory limit" if cpu else "no memory or CPU limit"
                found.fail.append(at(compose, service, missing, "deploy"))
            elif not cpu:
                found.warn.append(at(compose, service, "memory limit but no CPU limit", "deploy"))
        return found

    return judge("compose.resource_limits", project, inspect, what="long-running service")


def _limit_set(service: ComposeService, *paths: tuple[str, ...]) -> bool:
    for path in paths:
        value, raw = _dig(service.data, path), _dig(service.raw, path)
        if value not in (None, "", 0, "0") or left_to_deployer(raw):
            return True
    return False


def _dig(data, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# Drivers other than json-file keep logs out of the container's growing file.
@check(
    "compose.log_rotation",
    title="Container logs are rotated",
    category="operations",
    severity="medium",
    sources=("001",),
    remediation=_snippet(
        """
    logging:
      driver: json-file
      options:
        max-size: "10m"
        max-file: "3"
"""
    ),
)
def compose_log_rotation(project) -> CheckResult:
    """Every long-running service's logging bounds its size: ``json-file`` (the default) with
    ``max-size``, or the ``local``, ``journald``, ``syslog``, ``fluentd``, ``gelf``, ``awslogs``...
    drivers."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in long_running(compose):
            found.checked += 1
            logging = service.data.get("logging")
            logging = logging if isinstance(logging, dict) else {}
            if (logging.get("driver") or "json-file") != "json-file":
                continue
            options = logging.get("options") if isinstance(logging.get("options"), dict) else {}
            if not options.get("max-size"):
                # The daemon's own log-opts (daemon.json) may bound them: not visible in the repository.
                kind = "json-file logs" if logging.get("driver") else "Docker's default json-file logs"
                message = f"{kind} without max-size grow without bound, unless daemon.json sets one"
                found.fail.append(at(compose, service, message, "logging"))
        return found

    return judge("compose.log_rotation", project, inspect, what="long-running service")


@check(
    "compose.persistent_volumes",
    title="Datastores keep their data in volumes",
    category="reliability",
    severity="high",
    sources=("000", "001", "003"),
    remediation=_snippet(
        """
    services:
      db:
        volumes:
          - db-data:/var/lib/postgresql/data
    volumes:
      db-data:
"""
    ),
)
def compose_persistent_volumes(project) -> CheckResult:
    """Every datastore mounts a named volume or a bind mount (not an anonymous volume) at a path;
    ``na`` without datastores."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            if not datastore_kind(service):
                continue
            found.checked += 1
            mounts = syntax.mounts(service.data.get("volumes"))
            if any(m.kind in ("volume", "bind") and m.target and not _config_path(m.target) for m in mounts):
                continue
            if any(m.kind == "anonymous" for m in mounts):
                message = "only an anonymous volume: data is lost when the container is recreated"
            else:
                message = "no named volume or bind mount for its data"
            found.fail.append(at(compose, service, message, "volumes"))
        return found

    return judge("compose.persistent_volumes", project, inspect, what="datastore", na_without_targets=True)


def _config_path(target: str) -> bool:
    """A mount of a config or init file, which does not keep the datastore's data."""
    return "docker-entrypoint-initdb.d" in target or bool(posixpath.splitext(target)[1])


@check(
    "compose.redis_auth",
    title="Redis requires a password",
    category="security",
    severity="high",
    sources=("001",),
    remediation='command: ["redis-server", "--requirepass", "${REDIS_PASSWORD:?set REDIS_PASSWORD}"]',
)
def compose_redis_auth(project) -> CheckResult:
    """Every redis/valkey/keydb service requires a password (``--requirepass``, ``REDIS_PASSWORD`` or
    ``REDIS_ARGS`` with requirepass, an ACL or config file mounted); ``na`` without one."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            if datastore_kind(service) not in REDIS_FAMILY:
                continue
            found.checked += 1
            if not _redis_requires_password(service):
                found.fail.append(at(compose, service, "accepts connections without a password"))
        return found

    return judge("compose.redis_auth", project, inspect, what="redis service", na_without_targets=True)


_REDIS_PASSWORD_VARS = re.compile(r"^(REDIS|VALKEY|KEYDB)_PASSWORD(_FILE)?$")
_REDIS_ARGS_VARS = re.compile(r"^(REDIS|VALKEY|KEYDB)_(ARGS|EXTRA_FLAGS)$")


def _redis_requires_password(service: ComposeService) -> bool:
    words = " ".join(command_words(service)).lower()
    if "requirepass" in words or "--aclfile" in words or re.search(r"\.(conf|acl)\b", words):
        return True
    for name, value in syntax.environment(service.raw.get("environment")).items():
        if _REDIS_PASSWORD_VARS.match(name) and value != "":
            return True
        if _REDIS_ARGS_VARS.match(name) and "requirepass" in str(value).lower():
            return True
    targets = [m.target or "" for m in syntax.mounts(service.data.get("volumes"))]
    for key in ("configs", "secrets"):
        items = service.data.get(key)
        targets += (
            [str(i.get("target", "")) for i in items if isinstance(i, dict)]
            if isinstance(items, list)
            else []
        )
    return any(t.endswith((".conf", ".acl")) for t in targets)


@check(
    "compose.postgres_shm_size",
    title="Postgres has enough shared memory",
    category="performance",
    severity="medium",
    sources=("004",),
    remediation="shm_size: 256mb",
)
def compose_postgres_shm_size(project) -> CheckResult:
    """Every postgres/postgis service sets ``shm_size`` of at least 268,435,456 bytes; ``na`` without one."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            if datastore_kind(service) not in POSTGRES_FAMILY:
                continue
            found.checked += 1
            value = service.data.get("shm_size")
            size = syntax.byte_size(value)
            if size is None and left_to_deployer(service.raw.get("shm_size")):
                continue
            if size is None:
                message = "no shm_size: Docker's 64 MB default can make large queries fail"
                found.fail.append(at(compose, service, message, "shm_size"))
            elif size < MIN_POSTGRES_SHM:
                message = f"shm_size {value} is below 256mb"
                found.fail.append(at(compose, service, message, "shm_size"))
        return found

    return judge(
        "compose.postgres_shm_size", project, inspect, what="postgres service", na_without_targets=True
    )


@check(
    "compose.no_plaintext_secrets",
    title="No plaintext secrets in compose",
    category="security",
    severity="high",
    sources=("001", "003"),
    refs=("compose-lint: CL-0020", "compose-lint: CL-0021"),
    remediation=_snippet(
        """
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}
"""
    ),
)
def compose_no_plaintext_secrets(project) -> CheckResult:
    """No ``environment`` value of a secret-like name is a literal: it comes from ``${VAR}``
    interpolation, ``env_file`` or ``secrets:``; and no value of any variable holds a literal
    password inside a URL (``postgres://user:secret@db/app``), where ``${VAR}`` in its place passes."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            found.checked += 1
            raw_env = service.raw.get("environment")
            for name, value in syntax.environment(raw_env).items():
                if value in (None, ""):
                    continue
                if is_secret_like(name) and not is_interpolated(value):
                    message = f"{name} is a literal value; take it from ${{{name}}}, env_file or secrets:"
                    found.fail.append(at(compose, service, message, *_env_path(raw_env, name)))
                elif _literal_url_password(value):
                    message = f"{name} holds a literal password inside its URL; put a ${{VARIABLE}} there"
                    found.fail.append(at(compose, service, message, *_env_path(raw_env, name)))
        return found

    return judge("compose.no_plaintext_secrets", project, inspect)


# scheme://user:password@host; the user part may be empty (redis://:secret@redis).
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:([^\s/@]+)@")


def _literal_url_password(value) -> bool:
    """A URL in the raw value whose password is written out (``${VAR}`` in its place passes)."""
    if not isinstance(value, str):
        return False
    if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        return False  # the whole value is one interpolation: its default is the deployer's fallback
    return any("$" not in match.group(1) for match in _URL_PASSWORD.finditer(value))


def _env_path(raw_env, name: str) -> tuple:
    if isinstance(raw_env, list):
        for index, item in enumerate(raw_env):
            if isinstance(item, str) and item.partition("=")[0].strip() == name:
                return ("environment", index)
    return ("environment", name)


@check(
    "compose.network_segmentation",
    title="Services use declared networks; datastores are not exposed",
    category="security",
    severity="medium",
    sources=("003",),
    refs=("KICS: Networks Not Set",),
    remediation=_snippet(
        """
    services:
      web:
        networks: [frontend, backend]
      db:
        networks: [backend]
    networks:
      frontend:
      backend:
        internal: true
"""
    ),
)
def compose_network_segmentation(project) -> CheckResult:
    """Every long-running service is attached to an explicitly declared network, and no datastore
    shares a network with a service that publishes ports unless that service itself lists the
    datastore in ``depends_on``."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in long_running(compose):
            found.checked += 1
            problem = _network_problem(compose, service)
            if problem:
                found.fail.append(at(compose, service, problem, "networks"))
        datastores = [s for s in compose.services.values() if datastore_kind(s, with_memcached=True)]
        for publisher in compose.services.values():
            if not syntax.ports(publisher.data.get("ports")) or publisher in datastores:
                continue
            depends = syntax.depends_on(publisher.data.get("depends_on"))
            for datastore in datastores:
                shared = _networks_of(publisher) & _networks_of(datastore)
                if shared and datastore.name not in depends:
                    message = (
                        f"publishes ports and shares network {sorted(shared)[0]!r} with datastore "
                        f"{datastore.name!r} without depending on it"
                    )
                    found.fail.append(at(compose, publisher, message, "networks"))
        return found

    return judge("compose.network_segmentation", project, inspect, what="long-running service")


def _network_problem(compose: ComposeFile, service: ComposeService) -> str | None:
    mode = service.data.get("network_mode")
    if isinstance(mode, str) and mode:
        # Sharing another container's namespace, or no network at all, is not the default bridge.
        if mode == "none" or mode.startswith(("service:", "container:")):
            return None
        return f"network_mode: {mode} instead of a declared network"
    names = syntax.networks(service.data.get("networks"))
    if not names:
        return "not attached to a declared network (uses the default network)"
    undeclared = [n for n in names if n not in compose.networks]
    if undeclared:
        return f"network {undeclared[0]!r} is not declared under top-level networks:"
    return None


def _networks_of(service: ComposeService) -> set[str]:
    mode = service.data.get("network_mode")
    if isinstance(mode, str) and mode:
        return set()
    return set(syntax.networks(service.data.get("networks"))) or {"default"}


_ALL_INTERFACES = {None, "0.0.0.0", "::", "[::]", "*"}  # noqa: S104 - the addresses we flag


@check(
    "compose.db_ports_private",
    title="Datastore ports are not published on all interfaces",
    category="security",
    severity="high",
    sources=("003",),
    refs=("KICS: Container Traffic Not Bound To Host Interface",),
    remediation=_snippet(
        """
    ports:
      - "127.0.0.1:5432:5432"   # or remove ports: and reach the database over a compose network
"""
    ),
)
def compose_db_ports_private(project) -> CheckResult:
    """No datastore publishes a port on all interfaces (``"5432:5432"``, or a long-syntax port without
    ``host_ip``); binding to 127.0.0.1/::1 or not publishing passes; ``na`` without datastores."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            if not datastore_kind(service, with_memcached=True):
                continue
            found.checked += 1
            if service.data.get("network_mode") == "host":
                message = "network_mode: host opens its ports on every host interface"
                found.fail.append(at(compose, service, message, "network_mode"))
            for index, port in enumerate(syntax.ports(service.data.get("ports"))):
                if port.host_ip in _ALL_INTERFACES:
                    published = port.published or "a random port"
                    message = f"publishes {published}->{port.target} on all interfaces"
                    found.fail.append(at(compose, service, message, "ports", index))
        return found

    return judge("compose.db_ports_private", project, inspect, what="datastore", na_without_targets=True)


@check(
    "compose.images_pinned",
    title="Images are pinned to a tag or digest",
    category="security",
    severity="medium",
    refs=("Checkov: CKV_DOCKER_7 (Dockerfile FROM)", "hadolint: DL3007 (Dockerfile FROM)"),
    remediation="image: postgres:16.4-alpine   # or image: postgres@sha256:<digest>",
)
def compose_images_pinned(project) -> CheckResult:
    """Every ``image:`` names a tag other than ``latest``, or a digest (after interpolation defaults)."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            marked = with_deployer_marks(service.raw.get("image"))
            if not marked:
                continue
            found.checked += 1
            if "@" in marked:
                continue
            tag = image_tag(marked)
            if DEPLOYER_VALUE in (tag if tag is not None else marked.rsplit("/", 1)[-1]):
                continue  # the deployer supplies the tag (or the whole name: ${IMAGE})
            image = service.data.get("image")
            if not tag:
                found.fail.append(at(compose, service, f"image {image} has no tag (means latest)", "image"))
            elif tag == "latest":
                found.fail.append(at(compose, service, f"image {image} uses the latest tag", "image"))
        return found

    return judge("compose.images_pinned", project, inspect, what="image")


@check(
    "compose.single_scheduler",
    title="Schedulers run as a single replica",
    category="reliability",
    severity="high",
    sources=("003",),
    remediation=_snippet(
        """
    deploy:
      replicas: 1   # a second beat/cron instance runs every job twice
"""
    ),
)
def compose_single_scheduler(project) -> CheckResult:
    """Every scheduler service runs with at most one replica (``deploy.replicas`` <= 1, ``scale`` <= 1);
    ``na`` without one."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            if not is_scheduler(service):
                continue
            found.checked += 1
            deploy = service.data.get("deploy") if isinstance(service.data.get("deploy"), dict) else {}
            if deploy.get("mode") == "global":
                found.fail.append(at(compose, service, "deploy.mode: global runs one per node", "deploy"))
            for value, key, path in (
                (deploy.get("replicas"), "deploy.replicas", ("deploy", "replicas")),
                (service.data.get("scale"), "scale", ("scale",)),
            ):
                count = _as_int(value)
                if count is not None and count > 1:
                    message = f"scheduler runs {count} replicas ({key}); jobs would run {count} times"
                    found.fail.append(at(compose, service, message, *path))
        return found

    return judge("compose.single_scheduler", project, inspect, what="scheduler", na_without_targets=True)


def _as_int(value) -> int | None:
    try:
        return int(value) if value not in (None, "", True, False) else None
    except (TypeError, ValueError):
        return None


@check(
    "compose.build_cache_from",
    title="Builds reuse a registry cache",
    category="build",
    severity="low",
    soft=True,
    sources=("004",),
    remediation=_snippet(
        """
    build:
      context: .
      cache_from:
        - type=registry,ref=registry.example.com/app:buildcache
"""
    ),
)
def compose_build_cache_from(project) -> CheckResult:
    """*Soft*: every service with ``build:`` sets ``build.cache_from``; ``na`` where nothing is built."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            if service.build is None:
                continue
            found.checked += 1
            if not service.build.cache_from:
                found.fail.append(at(compose, service, "build without cache_from", "build"))
        return found

    return judge(
        "compose.build_cache_from", project, inspect, soft=True, what="build", na_without_targets=True
    )


_DEBUG_VALUES = {"1", "true", "yes", "on"}
_ENV_NAMES = {"NODE_ENV", "FLASK_ENV", "RAILS_ENV", "APP_ENV", "DJANGO_ENV", "ENVIRONMENT"}
_DEV_COMMANDS = (
    ("--reload",), ("runserver",), ("npm", "run", "dev"), ("yarn", "dev"), ("pnpm", "dev"),
    ("--inspect",), ("--inspect-brk",), ("debugpy",),
)  # fmt: skip
# debugpy, node --inspect, Java JDWP, Go delve.
_DEBUGGER_PORTS = {"5678", "9229", "5005", "2345"}
_SOURCE_FOLDERS = {"src", "app", "source", "code", "lib"}


@check(
    "compose.dev_override",
    title="Development settings live in an override file",
    category="build",
    severity="low",
    soft=True,
    sources=("004",),
    remediation=_snippet(
        """
    # compose.override.yml (loaded automatically by `docker compose up` on a laptop)
    services:
      web:
        volumes:
          - ./src:/app/src
        environment:
          DEBUG: "true"
        command: ["python", "manage.py", "runserver", "0.0.0.0:8000"]
"""
    ),
)
def compose_dev_override(project) -> CheckResult:
    """*Soft*: an override file (``compose.override.y(a)ml`` / ``docker-compose.override.y(a)ml``) exists
    beside the main or a development compose file, and no production compose file carries
    development-only settings (a bind mount of the build context or source, ``DEBUG``/``FLASK_DEBUG``
    true, ``NODE_ENV=development``, ``--reload``, ``runserver``, ``npm run dev``, a debugger port)."""
    result = CheckResult("compose.dev_override", Status.NA)
    files = [c for c in project.compose_files if not c.template]
    if not files:
        return result
    evidence: list[Evidence] = []
    overrides = [c for c in files if c.is_override]
    beside = [o for o in overrides if any(c is not o and c.dir == o.dir for c in files)]
    if not beside:
        main = next((c for c in files if not c.is_dev), files[0])
        for override in overrides:
            evidence.append(Evidence(override.path, None, "no main or development compose file beside it"))
        if not overrides:
            message = "no compose.override.yml beside it to hold development settings"
            evidence.append(Evidence(main.path, None, message))
    unreadable, readable = [], 0
    for compose in project.compose_units:
        if compose.is_dev:
            continue
        if compose.error:
            unreadable.append(Evidence(compose.path, None, f"could not be read: {compose.error}"))
            continue
        readable += 1
        for service in compose.services.values():
            evidence += _dev_settings(compose, service)
    if evidence:
        result.status, result.evidence = Status.WARN, evidence + unreadable
    elif unreadable and not readable:
        result.status, result.evidence = Status.ERROR, unreadable
    else:
        result.status = Status.PASS
        result.evidence = [Evidence(o.path, None, "development overrides kept here") for o in beside]
        result.evidence += unreadable
    result.evidence = list(dict.fromkeys(result.evidence))
    return result


def _project_dir(compose: ComposeFile) -> str:
    """The folder relative paths resolve against (an overlay's base folder, as Compose does)."""
    return compose.project_dir if compose.project_dir is not None else compose.dir


def _dev_settings(compose: ComposeFile, service: ComposeService) -> list[Evidence]:
    found = []
    context = service.build.context if service.build else None
    for index, mount in enumerate(syntax.mounts(service.data.get("volumes"))):
        if mount.kind != "bind" or not mount.source:
            continue
        source = (
            posixpath.normpath(posixpath.join(_project_dir(compose), mount.source))
            if mount.source[0] == "."
            else None
        )
        if source is not None and (
            source == (context or ".") or posixpath.basename(source) in _SOURCE_FOLDERS
        ):
            found.append(at(compose, service, f"bind-mounts the source {mount.source}", "volumes", index))
    raw_env = service.data.get("environment")
    for name, value in syntax.environment(raw_env).items():
        text = str(value).lower() if value is not None else ""
        if (name == "DEBUG" or name.endswith("_DEBUG")) and (value is True or text in _DEBUG_VALUES):
            found.append(at(compose, service, f"{name} is on", *_env_path(raw_env, name)))
        elif name in _ENV_NAMES and text in ("development", "dev"):
            found.append(at(compose, service, f"{name}={value}", *_env_path(raw_env, name)))
    words = [w.lower() for w in syntax.command_tokens(service.data.get("entrypoint"))]
    words += [w.lower() for w in syntax.command_tokens(service.data.get("command"))]
    for pattern in _DEV_COMMANDS:
        if any(tuple(words[i : i + len(pattern)]) == pattern for i in range(len(words))):
            found.append(at(compose, service, f"runs {' '.join(pattern)}", "command"))
    for index, port in enumerate(syntax.ports(service.data.get("ports"))):
        if port.target in _DEBUGGER_PORTS:
            found.append(at(compose, service, f"publishes debugger port {port.target}", "ports", index))
    return found


# Set by every login shell, so no one documents them ($HOME/.aws:/root/.aws, ${PWD}:/src).
_SHELL_VARIABLES = {"HOME", "USER", "LOGNAME", "PWD", "PATH", "SHELL", "HOSTNAME", "TMPDIR", "LANG"}


@check(
    "compose.env_example",
    title="Variables are documented in .env.example",
    category="operations",
    severity="low",
    sources=("000", "003"),
    remediation=_snippet(
        """
    # .env.example, committed beside the compose file: every variable it needs, without real values
    POSTGRES_PASSWORD=
    SECRET_KEY=
"""
    ),
)
def compose_env_example(project) -> CheckResult:
    """Where compose files interpolate variables without a default (``${VAR}``, ``${VAR:?msg}``) or use
    ``env_file``, an ``.env.example`` (or ``.env.sample``, ``.env.template``, ``.env.dist``) exists
    beside them or at the root and names every variable used without a default; ``na`` otherwise."""
    inventory = project.inventory

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        needed: dict[str, int | None] = {}
        for name, has_default, line in compose.variables:
            if not has_default and name not in _SHELL_VARIABLES:
                needed.setdefault(name, line)
        env_file = next((s for s in compose.services.values() if s.data.get("env_file")), None)
        if not needed and env_file is None:
            return found
        found.checked = 1
        examples = [p for p in inventory.env_examples if posixpath.dirname(p) in (compose.dir, "")]
        if not examples:
            first = next(iter(needed.values()), None) if needed else env_file.line_of("env_file")
            uses = ", ".join(sorted(needed)[:5]) or "env_file"
            message = f"no .env.example beside it or at the root (it uses {uses})"
            found.fail.append(Evidence(compose.path, first, message))
            return found
        named: set[str] = set()
        for example in examples:
            try:
                named |= _example_names(inventory.read(example))
            except OSError as exc:
                found.undecided.append(Evidence(example, None, f"could not be read: {exc}"))
        for name, line in needed.items():
            if name not in named:
                message = f"{name} is used without a default but not named in {' or '.join(examples)}"
                found.fail.append(Evidence(compose.path, line, message))
        return found

    return judge("compose.env_example", project, inspect, what="file", na_without_targets=True)


def _example_names(raw: bytes) -> set[str]:
    names = set()
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip().removeprefix("export ").strip()
        if line and not line.startswith("#"):
            names.add(line.partition("=")[0].strip())
    return names


@check(
    "compose.stop_grace_period",
    title="Services have time to shut down",
    category="reliability",
    severity="low",
    soft=True,
    sources=("003",),
    remediation="stop_grace_period: 30s",
)
def compose_stop_grace_period(project) -> CheckResult:
    """*Soft*: every long-running service that is not a datastore sets ``stop_grace_period``."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in long_running(compose):
            if datastore_kind(service):
                continue
            found.checked += 1
            if service.data.get("stop_grace_period") in (None, ""):
                message = "no stop_grace_period (Docker kills it 10 s after SIGTERM)"
                found.fail.append(at(compose, service, message))
        return found

    return judge("compose.stop_grace_period", project, inspect, soft=True, what="long-running service")
