"""Fixes for the ``compose.*`` checks: keys added or changed in the service that failed, through
ruamel.yaml (yamledit.py), at that service's indentation, with the file's comments kept.

One fix per compose file and check: every service of the file that failed is patched in one go
(two datastores add their volumes under one top-level ``volumes:``). What a key gets is decided
from the service itself: the image's own healthcheck tool, the datastore's data folder, the way
the file already writes its limits. A service whose fix needs more than the file tells gets a
fix without edits that says why.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import compose_syntax as syntax
from ..checks.compose import _SHELL_VARIABLES as SHELL_VARIABLES
from ..compose import ComposeFile, ComposeService
from ..compose_roles import REDIS_FAMILY, datastore_kind, has_healthcheck, is_interpolated
from ..model import CheckResult
from .files import TextFile, new_file
from .healthchecks import datastore_probe, http_probe, port_from_command, port_from_spec, runtime_var
from .images import image_facts, major_version
from .model import Edit, Fix
from .registry import FixContext, fixer

MEMORY_LIMIT = {"app": "512M", "datastore": "1G"}
CPU_LIMIT = "1.0"
_ALL_INTERFACES = {None, "0.0.0.0", "::", "[::]", "*"}  # noqa: S104 - the addresses we replace


# What each fix writes (docs/checks.md, --explain).
WRITES = {
    "compose.healthchecks": (
        "adds `healthcheck:` (test, interval, timeout, retries, start_period) fitting the service's "
        "image: `pg_isready -h 127.0.0.1` for postgres, `redis-cli`/`valkey-cli ping` with the "
        "service's password, `mysqladmin ping`, MariaDB's `healthcheck.sh`, `mongosh`/`mongo` by "
        "version, `rabbitmq-diagnostics ping`; for other images, or the image the service builds, a "
        "request to the port it serves as for `dockerfile.healthcheck`. Replaces a disabled "
        "healthcheck."
    ),
    "compose.restart_policy": (
        'adds `restart: unless-stopped` (or replaces `"no"`); a `deploy.restart_policy.condition: '
        "none` becomes `any`."
    ),
    "compose.resource_limits": (
        "adds the missing limits in the style the service already uses: `deploy.resources.limits` "
        '(`memory: 512M`, `1G` for datastores; `cpus: "1.0"`) or service-level `mem_limit`/`cpus`. '
        "Sized as a starting point."
    ),
    "compose.log_rotation": (
        'adds `logging:` with `driver: json-file` and `options: {max-size: "10m", max-file: "3"}`, or'
        " the missing options to a json-file logging block."
    ),
    "compose.redis_auth": (
        "adds `--requirepass ${REDIS_PASSWORD:?...}` to the server's command (or a command that "
        "starts the server with it), passes the password to an existing `redis-cli` healthcheck, and "
        "names `REDIS_PASSWORD` in `.env.example`. None for Bitnami images (set `REDIS_PASSWORD` "
        "there)."
    ),
    "compose.postgres_shm_size": ("sets `shm_size: 256mb`."),
    "compose.no_plaintext_secrets": (
        "replaces each literal with `${NAME:?set NAME in .env}` and names it in `.env.example` "
        "(created beside the compose file if there is none); the values move to `.env` or the "
        "deployment's environment."
    ),
    "compose.db_ports_private": (
        "binds each published datastore port to `127.0.0.1` (short syntax `127.0.0.1:5432:5432`, long"
        " syntax `host_ip: 127.0.0.1`). None for `network_mode: host`."
    ),
    "compose.single_scheduler": (
        "sets `deploy.replicas` and `scale` to 1; `deploy.mode: global` becomes `replicated` with one"
        " replica."
    ),
    "compose.stop_grace_period": ("adds `stop_grace_period: 30s`."),
}


class NoFix(Exception):
    """No safe mechanical fix for this service; the message says why."""


@dataclass
class Work:
    """One compose file being fixed for one check: what the operations learn along the way."""

    check: str
    context: FixContext
    rel: str
    compose: ComposeFile
    notes: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)  # introduced ${NAME}s, for .env.example
    healthy: dict[str, bool] = field(default_factory=dict)  # depends_on targets with a healthcheck
    added: list[str] = field(default_factory=list)  # services that got a healthcheck in this patch


# operation(patch, service, work) -> what it did ("web: restart: unless-stopped"), or NoFix.
Operation = Callable[[object, ComposeService, Work], str]
Extra = Callable[[object, Work], list[Edit]]  # edits to other files, once the patch is done
Settle = Callable[[object, Work], list[str]]  # more patching once every service had its turn


def _yaml():
    from . import yamledit  # ruamel.yaml loads only when a compose fix is computed

    return yamledit


def _flagged(result: CheckResult, context: FixContext) -> dict[str, tuple[ComposeFile, list[ComposeService]]]:
    """Compose file -> (its parsed form, the services the evidence names), in evidence order."""
    by_path = {c.path: c for c in context.project.compose_files if not c.error and not c.is_dev}
    flagged: dict[str, tuple[ComposeFile, list[ComposeService]]] = {}
    for evidence in result.evidence:
        compose = by_path.get(evidence.file)
        if compose is None:
            continue
        service = _service_of(compose, evidence)
        if service is None:
            continue
        services = flagged.setdefault(compose.path, (compose, []))[1]
        if service not in services:
            services.append(service)
    return flagged


def _service_of(compose: ComposeFile, evidence) -> ComposeService | None:
    """The service an evidence item names (its message starts ``name: ``), else the one whose
    block holds its line."""
    name = evidence.message.split(": ", 1)[0]
    if name in compose.services:
        return compose.services[name]
    starts = sorted((s.line or 0, s.name) for s in compose.services.values())
    before = [name for line, name in starts if evidence.line is not None and line <= evidence.line]
    return compose.services[before[-1]] if before else None


def _fix_file(
    work: Work,
    services: list[ComposeService],
    operation: Operation,
    *,
    note: str = "",
    extra: Extra | None = None,
    settle: Settle | None = None,
) -> list[Fix]:
    """All ``services`` patched in one go; if that cannot be done safely, each on its own."""
    text = work.context.files.text(work.rel)
    if text is None:
        return [Fix(work.check, f"no automatic fix: {work.rel} could not be read again")]
    yamledit = _yaml()
    try:
        return _attempt(work, text, services, operation, note, extra, settle)
    except yamledit.PatchError as exc:
        if len(services) == 1:
            return [Fix(work.check, f"no automatic fix for {services[0].name}: {exc}")]
    fixes = []
    for service in services:
        try:
            fixes += _attempt(work, text, [service], operation, note, extra, settle)
        except yamledit.PatchError as exc:
            fixes.append(Fix(work.check, f"no automatic fix for {service.name}: {exc}"))
    return fixes


def _attempt(
    work: Work, text: TextFile, services, operation: Operation, note: str, extra, settle
) -> list[Fix]:
    yamledit = _yaml()
    work.notes, work.variables, work.added = [], [], []
    done, refused = [], []
    with yamledit.patch_for(work.context.files, text) as patch:
        for service in services:
            if not patch.has(("services", service.name)):
                refused.append(
                    Fix(work.check, f"no automatic fix: {service.name} is defined in another file")
                )
                continue
            mark = patch.mark()
            try:
                done.append(operation(patch, service, work))
            except (NoFix, yamledit.PatchError) as exc:
                patch.rollback(mark)  # this service only: the others keep their edits
                refused.append(Fix(work.check, f"no automatic fix for {service.name}: {exc}"))
        if settle is not None:
            done += settle(patch, work)
        edits = patch.finish()
        if not edits:
            return refused
        notes = "; ".join([note, *work.notes] if note else work.notes)
        more = extra(patch, work) if extra else []
        return [Fix(work.check, "; ".join(done), edits + more, note=notes), *refused]


def _builder(
    check: str,
    operation: Operation,
    *,
    note: str = "",
    extra: Extra | None = None,
    settle: Settle | None = None,
):
    writes = WRITES[check]

    def build(result: CheckResult, context: FixContext) -> list[Fix]:
        fixes = []
        for rel, (compose, services) in _flagged(result, context).items():
            work = Work(check, context, rel, compose)
            fixes += _fix_file(work, services, operation, note=note, extra=extra, settle=settle)
        return fixes

    return fixer(check, writes)(build)


def _set_or_add(patch, path: tuple, value) -> None:
    """Set the key at ``path`` if it is there, else add it to its mapping."""
    if patch.has(path):
        patch.set(path, value)
    else:
        patch.add(path[:-1], path[-1], value)


def _ensure_mapping(patch, path: tuple, inner: dict) -> None:
    """Make ``path`` hold the keys of ``inner`` (nested dicts), adding only what is missing."""
    if not patch.has(path) or patch.node(path) is None:
        _set_or_add(patch, path, _commented(inner))
        return
    node = patch.node(path)
    if not isinstance(node, dict):
        raise NoFix(f"{'.'.join(map(str, path[2:]))} is not a mapping")
    for key, value in inner.items():
        if isinstance(value, dict):
            _ensure_mapping(patch, (*path, key), value)
        elif key not in node:
            patch.add(path, key, value)


def _commented(data):
    from ruamel.yaml.comments import CommentedMap

    if isinstance(data, dict):
        return CommentedMap((key, _commented(value)) for key, value in data.items())
    return data


# --- restart, stop_grace_period, shm_size, log rotation, limits, single scheduler ------------


def _restart(patch, service: ComposeService, work: Work) -> str:
    base = ("services", service.name)
    policy = (*base, "deploy", "restart_policy", "condition")
    if not patch.has((*base, "restart")) and patch.has(policy):
        patch.set(policy, "any")
        return f"{service.name}: deploy.restart_policy.condition: any"
    _set_or_add(patch, (*base, "restart"), "unless-stopped")
    return f"{service.name}: restart: unless-stopped"


_builder("compose.restart_policy", _restart)


def _stop_grace_period(patch, service: ComposeService, work: Work) -> str:
    patch.add(("services", service.name), "stop_grace_period", "30s")
    return f"{service.name}: stop_grace_period: 30s"


_builder(
    "compose.stop_grace_period",
    _stop_grace_period,
    note="30 s is a starting point: give it the time your longest request or job needs to finish",
)


def _shm_size(patch, service: ComposeService, work: Work) -> str:
    _set_or_add(patch, ("services", service.name, "shm_size"), "256mb")
    return f"{service.name}: shm_size: 256mb"


_builder("compose.postgres_shm_size", _shm_size)


def _log_rotation(patch, service: ComposeService, work: Work) -> str:
    base = ("services", service.name)
    options = {"max-size": patch.quoted("10m"), "max-file": patch.quoted("3")}
    if not patch.has((*base, "logging")):
        patch.add(base, "logging", _commented({"driver": "json-file", "options": options}))
    else:
        _ensure_mapping(patch, (*base, "logging"), {"options": options})
    return f"{service.name}: json-file logs rotate at 10m, 3 files"


_builder("compose.log_rotation", _log_rotation)


def _resource_limits(patch, service: ComposeService, work: Work) -> str:
    base = ("services", service.name)
    data = service.data
    memory = MEMORY_LIMIT["datastore" if datastore_kind(service) else "app"]
    limits = _dig(data, ("deploy", "resources", "limits")) or {}
    has_memory = bool(limits.get("memory") or data.get("mem_limit"))
    has_cpu = bool(limits.get("cpus") or data.get("cpus") or data.get("cpu_quota"))
    service_level = ("mem_limit" in data or "cpus" in data) and not limits
    wanted = {}
    if not has_memory:
        wanted["memory"] = memory
    if not has_cpu:
        wanted["cpus"] = patch.quoted(CPU_LIMIT)
    if service_level:
        if "memory" in wanted:
            patch.add(base, "mem_limit", memory.lower())
        if "cpus" in wanted:
            patch.add(base, "cpus", float(CPU_LIMIT))
    else:
        _ensure_mapping(patch, (*base, "deploy"), {"resources": {"limits": wanted}})
    return f"{service.name}: limits " + ", ".join(f"{k} {v}" for k, v in wanted.items())


def _dig(data, path):
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


_builder(
    "compose.resource_limits",
    _resource_limits,
    note="the limits are a starting point: size them from `docker stats` under real load",
)


def _single_scheduler(patch, service: ComposeService, work: Work) -> str:
    base = ("services", service.name)
    changed = []
    if patch.has((*base, "deploy", "mode")) and service.data.get("deploy", {}).get("mode") == "global":
        patch.set((*base, "deploy", "mode"), "replicated")
        changed.append("deploy.mode: replicated")
        if not patch.has((*base, "deploy", "replicas")):
            patch.add((*base, "deploy"), "replicas", 1)
            changed.append("deploy.replicas: 1")
    for path in ((*base, "deploy", "replicas"), (*base, "scale")):
        if patch.has(path) and _int(patch.node(path)) > 1:
            patch.set(path, 1)
            changed.append(f"{'.'.join(path[2:])}: 1")
    if not changed:
        raise NoFix("the replica count comes from elsewhere")
    return f"{service.name}: " + ", ".join(changed)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


_builder("compose.single_scheduler", _single_scheduler)


# --- healthchecks ------------------------------------------------------------------------------


def _healthcheck(patch, service: ComposeService, work: Work) -> str:
    probe = compose_probe(service)
    timing = (
        {"interval": "10s", "timeout": "5s", "retries": 5, "start_period": "30s"}
        if probe.datastore
        else {"interval": "30s", "timeout": "5s", "retries": 3, "start_period": "20s"}
    )
    check = _commented({"test": patch.flow(probe.compose_test()), **timing})
    _set_or_add(patch, ("services", service.name, "healthcheck"), check)
    work.added.append(service.name)
    if probe.note:
        work.notes.append(f"{service.name}: {probe.note}")
    return f"{service.name}: healthcheck with {probe.tool}"


def compose_probe(service: ComposeService):
    """The probe that fits the service's image, or NoFix saying why there is none."""
    image = service.data.get("image")
    dockerfile = (
        service.dockerfile if service.dockerfile is not None and not service.dockerfile.error else None
    )
    target = service.build.target if service.build else None
    if dockerfile is not None:
        from .dockerfile_text import stage_facts

        stage = dockerfile.stage(target)
        if stage is None:
            raise NoFix("its build target is not in the Dockerfile")
        facts = stage_facts(stage)
    elif isinstance(image, str) and image:
        facts = image_facts(image)
    else:
        raise NoFix("its image is not known")
    probe = datastore_probe(facts, "compose", redis_password=_redis_password(service))
    if probe is not None:
        return probe
    port = _service_port(service, dockerfile, target)
    if facts.family in ("distroless", "scratch"):
        raise NoFix(f"{facts.reference} has no shell or HTTP client to run a healthcheck")
    if port is None:
        raise NoFix("the port it serves is not known (no ports, expose or EXPOSE)")
    probe = http_probe(facts, port)
    if probe is None:
        raise NoFix(
            f"{facts.reference or 'its image'} has no curl, wget, python or node known to probe port {port}"
        )
    return probe


def _service_port(service: ComposeService, dockerfile, target) -> int | None:
    for value in service.data.get("expose") or []:
        port = port_from_spec(str(value))
        if port:
            return port
    for spec in syntax.ports(service.data.get("ports")):
        port = port_from_spec(spec.target)
        if port:
            return port
    port = port_from_command(syntax.command_tokens(service.data.get("command")))
    if port:
        return port
    if dockerfile is not None:
        for instruction in reversed(dockerfile.chain_instructions(target)):
            if instruction.cmd == "EXPOSE":
                for word in instruction.value.split():
                    if port_from_spec(word):
                        return port_from_spec(word)
        for word_list in (dockerfile.effective_command(target) or [],):
            port = port_from_command([w for part in word_list for w in part.split()])
            if port:
                return port
    return None


_REQUIREPASS_RE = re.compile(r"--requirepass[= ]+(\"[^\"]*\"|'[^']*'|\S+)")


def _redis_password(service: ComposeService) -> str | None:
    """How a probe writes the service's password: the value the command passes (a Compose
    ``${VAR}`` stays one), or the container's REDIS_PASSWORD at run time; None without one."""
    command = service.raw.get("command")
    words = [str(w) for w in command] if isinstance(command, list) else None
    if words and "--requirepass" in words and words.index("--requirepass") + 1 < len(words):
        return _compose_literal(words[words.index("--requirepass") + 1])
    if isinstance(command, str):
        match = _REQUIREPASS_RE.search(command)
        if match:
            return _compose_literal(match.group(1).strip("\"'"))
    env = syntax.environment(service.raw.get("environment"))
    for name in ("REDIS_PASSWORD", "VALKEY_PASSWORD", "KEYDB_PASSWORD"):
        if env.get(name) not in (None, ""):
            return runtime_var(name, "compose")
    return None


def _compose_literal(value: str) -> str:
    """A password as it may stand inside the probe: a ``${VAR}`` is kept for Compose to fill."""
    return value if is_interpolated(value) else value.replace("$", "$$")


def _wait_for_new_healthchecks(patch, work: Work) -> list[str]:
    """Services that depend on one that just got a healthcheck now wait for it to be healthy, so
    compose.depends_on_healthy does not turn from pass to fail because of this fix."""
    work.healthy = dict.fromkeys(work.added, True)
    done = []
    for service in work.compose.services.values():
        conditions = syntax.depends_on(service.data.get("depends_on"))
        waiting = [n for n in work.added if n in conditions and conditions[n] != "service_healthy"]
        if waiting and patch.has(("services", service.name, "depends_on")):
            done.append(_depends_on(patch, service, work))
    return done


_builder("compose.healthchecks", _healthcheck, settle=_wait_for_new_healthchecks)


# --- depends_on --------------------------------------------------------------------------------


def _depends_on(patch, service: ComposeService, work: Work) -> str:
    from ruamel.yaml.comments import CommentedMap

    base = ("services", service.name, "depends_on")
    raw = patch.node(base)
    conditions = syntax.depends_on(service.data.get("depends_on"))
    healthy = [name for name in conditions if work.healthy.get(name, False)]
    if isinstance(raw, list):
        mapping = CommentedMap(
            (name, CommentedMap(condition="service_healthy" if name in healthy else "service_started"))
            for name in conditions
        )
        patch.set(base, mapping)
    else:
        for name in healthy:
            if conditions[name] == "service_healthy":
                continue
            if patch.has((*base, name)) and isinstance(patch.node((*base, name)), dict):
                _set_or_add(patch, (*base, name, "condition"), "service_healthy")
            else:
                _set_or_add(patch, (*base, name), CommentedMap(condition="service_healthy"))
    return f"{service.name}: waits for {', '.join(healthy)} to be healthy"


@fixer(
    "compose.depends_on_healthy",
    (
        "adds `condition: service_healthy` for each dependency that has a healthcheck (a short list "
        "becomes the long form, the others `service_started`)."
    ),
)
def depends_on_healthy(result: CheckResult, context: FixContext) -> list[Fix]:
    fixes = []
    production = [c for c in context.project.compose_files if not c.is_dev and not c.error]
    for rel, (compose, services) in _flagged(result, context).items():
        work = Work("compose.depends_on_healthy", context, rel, compose)
        for other in [compose, *production]:
            for name, target in other.services.items():
                work.healthy.setdefault(name, has_healthcheck(target))
        fixes += _fix_file(work, services, _depends_on)
    return fixes


# --- datastores: volumes, ports, redis password ------------------------------------------------


def _data_path(service: ComposeService) -> str | None:
    image = str(service.data.get("image") or "")
    facts = image_facts(image)
    kind = datastore_kind(service)
    bitnami = "bitnami/" in image
    if kind in ("postgres", "postgis"):
        if bitnami:
            return "/bitnami/postgresql"
        major = major_version(facts.tag)
        return "/var/lib/postgresql" if major is not None and major >= 18 else "/var/lib/postgresql/data"
    paths = {
        "mysql": "/bitnami/mysql/data" if bitnami else "/var/lib/mysql",
        "mariadb": "/bitnami/mariadb" if bitnami else "/var/lib/mysql",
        "mongo": "/bitnami/mongodb" if bitnami else "/data/db",
        "redis": "/bitnami/redis/data" if bitnami else "/data",
        "valkey": "/bitnami/valkey/data" if bitnami else "/data",
        "keydb": "/data",
        "rabbitmq": "/var/lib/rabbitmq",
        "elasticsearch": "/usr/share/elasticsearch/data",
        "opensearch": "/usr/share/opensearch/data",
        "clickhouse": "/var/lib/clickhouse",
        "couchdb": "/opt/couchdb/data",
        "neo4j": "/data",
        "cassandra": "/var/lib/cassandra",
    }
    return paths.get(kind)


@fixer(
    "compose.persistent_volumes",
    (
        "mounts a named volume `<service>-data` at the datastore's data folder (by image, vendor and "
        "version: `/var/lib/postgresql/data`, `/var/lib/postgresql` from PostgreSQL 18, "
        "`/var/lib/mysql`, `/data/db`, `/bitnami/...`), replacing an anonymous volume there, and "
        "declares it under top-level `volumes:`."
    ),
)
def persistent_volumes(result: CheckResult, context: FixContext) -> list[Fix]:
    check = "compose.persistent_volumes"
    fixes = []
    for rel, (compose, services) in _flagged(result, context).items():
        text = context.files.text(rel)
        if text is None:
            continue
        ready = []
        for service in services:
            path = _data_path(service)
            if path is None:
                fixes.append(Fix(check, f"no automatic fix for {service.name}: its data folder is not known"))
            else:
                ready.append((service, path))
        if ready:
            fixes += _volumes_fix(context, text, compose, ready)
    return fixes


def _volumes_fix(context: FixContext, text: TextFile, compose: ComposeFile, ready) -> list[Fix]:
    yamledit = _yaml()
    check = "compose.persistent_volumes"
    try:
        with yamledit.patch_for(context.files, text) as patch:
            return _volumes_patch(patch, ready)
    except (yamledit.PatchError, NoFix) as exc:
        return [Fix(check, f"no automatic fix: {exc}")]


def _volumes_patch(patch, ready) -> list[Fix]:
    declared = patch.node(("volumes",)) if patch.has(("volumes",)) else None
    names = []
    for service, path in ready:
        name = _volume_name(service.name, declared, names)
        names.append(name)
        _mount(patch, service, f"{name}:{path}", path)
    if declared is None and patch.has(("volumes",)):
        patch.set(("volumes",), _commented(dict.fromkeys(names)))
    elif declared is None:
        patch.add((), "volumes", _commented(dict.fromkeys(names)))
    else:
        for name in names:
            patch.add(("volumes",), name, None)
    edits = patch.finish()
    summary = "; ".join(f"{s.name}: named volume {n} at {p}" for (s, p), n in zip(ready, names, strict=True))
    return [Fix("compose.persistent_volumes", summary, edits)]


def _volume_name(service: str, declared, taken: list[str]) -> str:
    name = re.sub(r"[^a-zA-Z0-9_.-]", "-", service) + "-data"
    existing = set(declared or ()) | set(taken)
    candidate, number = name, 2
    while candidate in existing:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


def _mount(patch, service: ComposeService, spec: str, path: str) -> None:
    base = ("services", service.name, "volumes")
    if not patch.has(base):
        sequence = _block_sequence([spec])
        patch.add(base[:-1], "volumes", sequence)
        return
    volumes = patch.node(base)
    if not isinstance(volumes, list):
        raise NoFix(f"{service.name}: volumes is not a list")
    items = list(volumes)
    anonymous = [
        i for i, item in enumerate(items) if isinstance(item, str) and item.rstrip("/") == path.rstrip("/")
    ]
    if volumes.fa.flow_style():
        if anonymous:
            items[anonymous[0]] = spec
        else:
            items.append(spec)
        patch.set(base, patch.flow(items))
    elif anonymous:
        patch.set_item((*base, anonymous[0]), spec)  # the anonymous volume at the data folder
    else:
        patch.append_item(base, spec)


def _block_sequence(items: list):
    from ruamel.yaml.comments import CommentedSeq

    sequence = CommentedSeq(items)
    sequence.fa.set_block_style()
    return sequence


def _private_ports(patch, service: ComposeService, work: Work) -> str:
    base = ("services", service.name, "ports")
    if service.data.get("network_mode") == "host":
        raise NoFix("network_mode: host publishes every port; give it a network and bind ports to 127.0.0.1")
    ports = patch.node(base) if patch.has(base) else None
    if not isinstance(ports, list):
        raise NoFix("its ports come from elsewhere")
    changed = []
    new_items = list(ports)
    for index, item in enumerate(ports):
        if isinstance(item, dict):
            if str(item.get("host_ip") or "") in ("", "0.0.0.0", "::", "[::]", "*"):  # noqa: S104
                if "host_ip" in item:
                    patch.set((*base, index, "host_ip"), "127.0.0.1")
                else:
                    patch.add((*base, index), "host_ip", "127.0.0.1")
                changed.append(str(item.get("target")))
            continue
        if isinstance(item, bool) or not isinstance(item, int | str):
            continue
        parsed = syntax.ports([item])[0]
        if parsed.host_ip not in _ALL_INTERFACES:
            continue
        spec = f"127.0.0.1:{parsed.published or ''}:{parsed.target}"
        if "/" in str(item):
            spec += "/" + str(item).split("/", 1)[1]
        new_items[index] = spec
        if not ports.fa.flow_style():
            patch.set_item((*base, index), patch.quoted(spec) if not isinstance(item, str) else spec)
        changed.append(spec)
    if ports.fa.flow_style() and new_items != list(ports):
        from ruamel.yaml.comments import CommentedSeq

        sequence = CommentedSeq(patch.quoted(str(i)) if isinstance(i, str) else i for i in new_items)
        sequence.fa.set_flow_style()
        patch.set(base, sequence)
    if not changed:
        raise NoFix("no port to bind")
    return f"{service.name}: ports bound to 127.0.0.1 ({', '.join(changed)})"


_builder(
    "compose.db_ports_private",
    _private_ports,
    note="only this host reaches the datastore now; other hosts go through a compose network or a tunnel",
)


# --- environment: plaintext secrets, .env.example, redis password ------------------------------


def _example_for(context: FixContext, compose_rel: str) -> str:
    """The .env.example (or .sample...) that documents ``compose_rel``'s variables, existing or new."""
    folder = posixpath.dirname(compose_rel)
    examples = [p for p in context.project.inventory.env_examples if posixpath.dirname(p) in (folder, "")]
    beside = [p for p in examples if posixpath.dirname(p) == folder]
    return (beside or examples or [posixpath.join(folder, ".env.example")])[0]


def example_edits(context: FixContext, example: str, names: list[str]) -> list[Edit]:
    """Lines ``NAME=`` for the names ``example`` does not list yet (the file is created if absent)."""
    text = context.files.text(example)
    if text is None and context.files.exists(example):
        return []  # there but unreadable (a symlink...): leave it alone
    listed = set()
    for line in text.lines if text else []:
        stripped = line.strip().removeprefix("export ").strip()
        if stripped and not stripped.startswith("#"):
            listed.add(stripped.partition("=")[0].strip())
    missing = [name for name in dict.fromkeys(names) if name not in listed]
    if not missing:
        return []
    lines = "".join(f"{name}=\n" for name in missing)
    if text is None:
        return [new_file(example, "# Copy to .env and fill in; never commit .env itself.\n" + lines)]
    return [text.append(lines)]


def _secret_reference(name: str) -> str:
    return f"${{{name}:?set {name} in .env}}"


def _plaintext_secrets(patch, service: ComposeService, work: Work) -> str:
    from ..compose_roles import is_secret_like

    base = ("services", service.name, "environment")
    environment = patch.node(base) if patch.has(base) else None
    moved = []
    if isinstance(environment, dict):
        for name, value in list(environment.items()):
            if is_secret_like(str(name)) and value not in (None, "") and not is_interpolated(str(value)):
                patch.set((*base, name), _secret_reference(str(name)))
                moved.append(str(name))
    elif isinstance(environment, list):
        for index, item in enumerate(list(environment)):
            if not isinstance(item, str) or "=" not in item:
                continue
            name, _, value = item.partition("=")
            name = name.strip()
            if is_secret_like(name) and value != "" and not is_interpolated(value):
                if environment.fa.flow_style():
                    raise NoFix("environment is a flow list")
                patch.set_item((*base, index), f"{name}={_secret_reference(name)}")
                moved.append(name)
    if not moved:
        raise NoFix("its secrets come from elsewhere (extends, anchors)")
    work.variables.extend(moved)
    return f"{service.name}: {', '.join(moved)} from the environment"


def _document_variables(patch, work: Work) -> list[Edit]:
    return example_edits(work.context, _example_for(work.context, work.rel), work.variables)


_builder(
    "compose.no_plaintext_secrets",
    _plaintext_secrets,
    extra=_document_variables,
    note="move each value into .env (not committed) or your deployment's environment; "
    "Compose now stops with a message where one is missing",
)


REDIS_VARIABLE = "REDIS_PASSWORD"


def _redis_auth(patch, service: ComposeService, work: Work) -> str:
    kind = datastore_kind(service)
    if kind not in REDIS_FAMILY:
        raise NoFix("not a redis service")
    image = str(service.data.get("image") or "")
    if "bitnami/" in image:
        raise NoFix("bitnami images take REDIS_PASSWORD in the environment; set it there")
    server = {"redis": "redis-server", "valkey": "valkey-server", "keydb": "keydb-server"}[kind]
    reference = f"${{{REDIS_VARIABLE}:?set {REDIS_VARIABLE} in .env}}"
    base = ("services", service.name, "command")
    command = patch.node(base) if patch.has(base) else None
    if command is None:
        _set_or_add(patch, base, patch.flow([server, "--requirepass", reference]))
    elif isinstance(command, list):
        if not command or not str(command[0]).endswith("-server"):
            raise NoFix("its command does not start the server directly")
        new = [str(word) for word in command] + ["--requirepass", reference]
        patch.set(base, patch.flow(new) if command.fa.flow_style() else _block_sequence(new))
    elif isinstance(command, str) and command.split()[:1] and command.split()[0].endswith("-server"):
        patch.set(base, f"{command} --requirepass {reference}")
    else:
        raise NoFix("its command does not start the server directly")
    _update_redis_probe(patch, service, kind)
    work.variables.append(REDIS_VARIABLE)
    return f"{service.name}: requires the password ${REDIS_VARIABLE}"


def _update_redis_probe(patch, service: ComposeService, kind: str) -> None:
    """A redis-cli healthcheck without the password would fail once one is required."""
    path = ("services", service.name, "healthcheck", "test")
    if not patch.has(path):
        return
    test = patch.node(path)
    words = " ".join(str(w) for w in test) if isinstance(test, list) else str(test)
    if "-cli" not in words or "REDISCLI_AUTH" in words or " -a " in f" {words} ":
        return
    probe = datastore_probe(
        image_facts(str(service.data.get("image") or kind)),
        "compose",
        redis_password=f"${{{REDIS_VARIABLE}}}",
    )
    patch.set(path, patch.flow(probe.compose_test()))


_builder(
    "compose.redis_auth",
    _redis_auth,
    extra=_document_variables,
    note=f"clients must now send the password: redis://:${{{REDIS_VARIABLE}}}@<service>:6379/0",
)


@fixer(
    "compose.env_example",
    (
        "adds a `NAME=` line for each variable used without a default to the `.env.example` beside "
        "the compose file (or at the root), creating it if there is none."
    ),
)
def env_example(result: CheckResult, context: FixContext) -> list[Fix]:
    """Every variable a compose file uses without a default gets a ``NAME=`` line."""
    by_example: dict[str, list[str]] = {}
    for compose in context.project.compose_files:
        if compose.is_dev or compose.error or compose.path not in {e.file for e in result.evidence}:
            continue
        needed = [
            n for n, has_default, _ in compose.variables if not has_default and n not in SHELL_VARIABLES
        ]
        if needed:
            by_example.setdefault(_example_for(context, compose.path), []).extend(needed)
    fixes = []
    for example, names in by_example.items():
        edits = example_edits(context, example, names)
        if edits:
            summary = f"name {', '.join(dict.fromkeys(names))} in {example}"
            fixes.append(
                Fix("compose.env_example", summary, edits, note="fill in the values in .env, not here")
            )
    return fixes
