"""The compose checks added in checks.md Version 2: host access, datastore authentication,
health checks that can fail, and versioned images."""

from __future__ import annotations

import re

from .. import compose_syntax as syntax
from ..compose import ComposeFile, ComposeService
from ..compose_roles import DEPLOYER_VALUE, POSTGRES_FAMILY, datastore_kind, image_tag, with_deployer_marks
from ..model import CheckResult
from ..registry import check
from ._compose_common import Findings, at, judge, long_running
from ._healthcheck import why_cannot_fail
from .compose import _env_path, _snippet

# --- compose.no_docker_socket ------------------------------------------------------------------


@check(
    "compose.no_docker_socket",
    title="No service mounts the Docker socket",
    category="security",
    severity="high",
    sources=("001",),
    refs=("KICS: Docker Socket Mounted In Container", "compose-lint: CL-0001"),
    remediation=_snippet(
        """
    # Remove the docker.sock mount. A service that must watch containers can talk to a socket
    # proxy that allows only the calls it needs, e.g. tecnativa/docker-socket-proxy with CONTAINERS=1.
    volumes:
      - app-data:/data
"""
    ),
)
def compose_no_docker_socket(project) -> CheckResult:
    """No long-running service mounts the Docker socket (``/var/run/docker.sock``, ``/run/docker.sock``,
    any ``docker.sock``), read-only or not: a read-only socket still allows every API call, which is
    root on the host."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in long_running(compose):
            found.checked += 1
            for index, mount in enumerate(syntax.mounts(service.data.get("volumes"))):
                if mount.source and "docker.sock" in mount.source:
                    read_only = (
                        " read-only, which still allows every API call" if _read_only(service, index) else ""
                    )
                    message = f"mounts the Docker socket {mount.source}{read_only}: root on the host"
                    found.fail.append(at(compose, service, message, "volumes", index))
        return found

    return judge("compose.no_docker_socket", project, inspect, what="long-running service")


def _read_only(service: ComposeService, index: int) -> bool:
    volumes = service.data.get("volumes")
    item = volumes[index] if isinstance(volumes, list) and index < len(volumes) else None
    if isinstance(item, dict):
        return item.get("read_only") is True
    parts = str(item).split(":")
    return len(parts) > 2 and "ro" in parts[2].split(",")


# --- compose.no_privileged ---------------------------------------------------------------------

_HOST_NAMESPACES = ("pid", "ipc", "userns_mode")
_ROOT_CAPABILITIES = {"ALL", "SYS_ADMIN"}


@check(
    "compose.no_privileged",
    title="No privileged containers or host namespaces",
    category="security",
    severity="high",
    sources=("001", "003"),
    refs=(
        "KICS: Privileged Containers Enabled",
        "KICS: Host Namespace is Shared",
        "KICS: Shared Host IPC Namespace",
        "KICS: Shared Host User Namespace",
        "compose-lint: CL-0002",
        "compose-lint: CL-0010",
    ),
    remediation=_snippet(
        """
    # Drop privileged:, pid/ipc/userns_mode: host and cap_add: [ALL, SYS_ADMIN]; add only the
    # capability the service needs, e.g.:
    cap_add:
      - NET_BIND_SERVICE
"""
    ),
)
def compose_no_privileged(project) -> CheckResult:
    """No service sets ``privileged: true``, ``cap_add`` with ``ALL`` or ``SYS_ADMIN``, ``pid: host``,
    ``ipc: host`` or ``userns_mode: host``."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            found.checked += 1
            data = service.data
            if data.get("privileged") is True or str(data.get("privileged")).lower() == "true":
                found.fail.append(
                    at(
                        compose,
                        service,
                        "privileged: true gives it every capability and device",
                        "privileged",
                    )
                )
            caps = data.get("cap_add") if isinstance(data.get("cap_add"), list) else []
            for index, cap in enumerate(caps):
                name = str(cap).upper().removeprefix("CAP_")
                if name in _ROOT_CAPABILITIES:
                    found.fail.append(
                        at(compose, service, f"cap_add {cap} is close to root on the host", "cap_add", index)
                    )
            for key in _HOST_NAMESPACES:
                if str(data.get(key) or "").lower() == "host":
                    found.fail.append(at(compose, service, f"{key}: host shares the host's namespace", key))
        return found

    return judge("compose.no_privileged", project, inspect)


# --- compose.datastore_auth --------------------------------------------------------------------

_MYSQL_FAMILY = {"mysql", "mariadb"}
_EMPTY_PASSWORD_FLAGS = (
    "MYSQL_ALLOW_EMPTY_PASSWORD", "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "MARIADB_ALLOW_EMPTY_PASSWORD",
    "ALLOW_EMPTY_PASSWORD",  # the Bitnami images' switch, for every datastore they ship
)  # fmt: skip
_MONGO_PASSWORDS = ("MONGO_INITDB_ROOT_PASSWORD", "MONGODB_ROOT_PASSWORD")
_FALSE_WORDS = {"", "0", "no", "false", "off"}


@check(
    "compose.datastore_auth",
    title="Databases require a password",
    category="security",
    severity="high",
    sources=("001",),
    remediation=_snippet(
        """
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}   # and no POSTGRES_HOST_AUTH_METHOD=trust
      MONGO_INITDB_ROOT_PASSWORD_FILE: /run/secrets/mongo_root_password
"""
    ),
)
def compose_datastore_auth(project) -> CheckResult:
    """No postgres/postgis service sets ``POSTGRES_HOST_AUTH_METHOD=trust``, no mysql/mariadb sets
    ``MYSQL_ALLOW_EMPTY_PASSWORD``/``MARIADB_ALLOW_EMPTY_ROOT_PASSWORD`` true, no mongo lacks
    ``MONGO_INITDB_ROOT_PASSWORD`` (or ``_FILE``); ``na`` without such datastores (redis is
    ``compose.redis_auth``)."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            kind = datastore_kind(service)
            if kind not in POSTGRES_FAMILY | _MYSQL_FAMILY | {"mongo"}:
                continue
            found.checked += 1
            raw_env = service.raw.get("environment")
            env = syntax.environment(service.data.get("environment"))
            for name in _EMPTY_PASSWORD_FLAGS:
                if name in env and str(env[name]).strip().lower() not in _FALSE_WORDS:
                    message = f"{name}={env[name]} lets anyone connect without a password"
                    found.fail.append(at(compose, service, message, *_env_path(raw_env, name)))
            method = str(env.get("POSTGRES_HOST_AUTH_METHOD") or "").strip().lower()
            if kind in POSTGRES_FAMILY and method == "trust":
                message = "POSTGRES_HOST_AUTH_METHOD=trust accepts every connection without a password"
                found.fail.append(
                    at(compose, service, message, *_env_path(raw_env, "POSTGRES_HOST_AUTH_METHOD"))
                )
            if kind == "mongo" and not _mongo_has_root_password(service, env):
                message = "no MONGO_INITDB_ROOT_PASSWORD(_FILE): mongod starts without authentication"
                found.fail.append(at(compose, service, message, "environment"))
        return found

    return judge("compose.datastore_auth", project, inspect, what="database", na_without_targets=True)


def _mongo_has_root_password(service: ComposeService, env: dict) -> bool:
    if any(env.get(name) not in (None, "") or env.get(name + "_FILE") for name in _MONGO_PASSWORDS):
        return True
    # An env_file is the deployer's file: the password can be there, which the scan cannot see.
    return bool(service.data.get("env_file"))


# --- compose.healthcheck_can_fail --------------------------------------------------------------


@check(
    "compose.healthcheck_can_fail",
    title="Health checks can report failure",
    category="reliability",
    severity="medium",
    sources=("000", "003"),
    remediation=_snippet(
        """
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]   # -f: an HTTP error fails the check
"""
    ),
)
def compose_healthcheck_can_fail(project) -> CheckResult:
    """Every compose ``healthcheck.test`` can report failure: no ``curl`` without ``-f``/``--fail``/
    ``--fail-with-body``, no ``|| exit 0``, ``|| true``, ``; exit 0``, ``exit 0``, bare ``echo``/``true``;
    ``na`` without healthchecks."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        for service in compose.services.values():
            healthcheck = service.data.get("healthcheck")
            if not isinstance(healthcheck, dict) or healthcheck.get("disable") is True:
                continue
            test = healthcheck.get("test")
            if not test or (isinstance(test, list) and str(test[0]).upper() == "NONE"):
                continue
            found.checked += 1
            reason = why_cannot_fail(test)
            if reason:
                found.fail.append(
                    at(compose, service, f"healthcheck cannot fail: {reason}", "healthcheck", "test")
                )
        return found

    return judge(
        "compose.healthcheck_can_fail", project, inspect, what="healthcheck", na_without_targets=True
    )


# --- compose.images_versioned (soft) -----------------------------------------------------------

_VERSION = re.compile(r"\d")


@check(
    "compose.images_versioned",
    title="Images name a version",
    category="security",
    severity="low",
    soft=True,
    refs=("compose-lint: CL-0004",),
    remediation="image: redis:7.4.1-alpine   # not redis:alpine, redis:latest or redis",
)
def compose_images_versioned(project) -> CheckResult:
    """*Soft*: every compose ``image:`` the project does not build itself names a tag holding a
    version number, or a digest; moving tags such as ``alpine``, ``stable``, ``lts``, ``edge``,
    ``nightly``, ``slim`` alone warn."""

    def inspect(compose: ComposeFile) -> Findings:
        found = Findings()
        built = {s.data.get("image") for s in compose.services.values() if s.build is not None}
        for service in compose.services.values():
            image = service.data.get("image")
            if not isinstance(image, str) or not image or service.build is not None or image in built:
                continue
            marked = with_deployer_marks(service.raw.get("image")) or image
            found.checked += 1
            if "@" in marked:
                continue
            tag = image_tag(marked)
            if DEPLOYER_VALUE in (tag if tag is not None else marked.rsplit("/", 1)[-1]):
                continue  # the deployer supplies the tag
            if tag is None or not _VERSION.search(tag):
                moving = f"tag {tag!r} moves" if tag else "no tag (latest) moves"
                found.fail.append(at(compose, service, f"image {image}: {moving}; name a version", "image"))
        return found

    return judge(
        "compose.images_versioned", project, inspect, soft=True, what="image", na_without_targets=True
    )
