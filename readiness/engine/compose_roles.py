"""What a compose service is, per the definitions of checks.md: datastore, one-shot, scheduler.

Also the small value tests several compose checks share: secret-like names, image references,
healthchecks, and whether a raw value is left for the deployer to supply.
"""

from __future__ import annotations

import posixpath
import re

from . import compose_syntax
from .compose import ComposeService
from .compose_interpolate import InterpolationError, interpolate

DATASTORES = (
    "postgres", "postgis", "mysql", "mariadb", "mongo", "redis", "valkey", "keydb", "memcached",
    "elasticsearch", "opensearch", "rabbitmq", "kafka", "zookeeper", "minio", "cassandra",
    "clickhouse", "couchdb", "neo4j", "influxdb",
)  # fmt: skip
# The last path component of an image names a datastore when one of the names ends it, perhaps
# after a separator (zulip/zulip-postgresql, cp-kafka) and before suffixes that keep it one
# (bitnami/postgresql, mongodb, mysql-server, clickhouse-server, redis-stack, redis-cluster).
# Tools named after one (redis-commander, mongo-express, postgres-exporter) are not datastores.
_DATASTORE_NAME = re.compile(
    r"(?:^|[-_.])(?P<kind>" + "|".join(DATASTORES) + r")(?:ql|db)?"
    r"(?:[-_](?:server|stack|cluster|ha|community|enterprise|oss))*$"
)
REDIS_FAMILY = {"redis", "valkey", "keydb"}
POSTGRES_FAMILY = {"postgres", "postgis"}

_ONE_SHOT_WORDS = re.compile(r"migrat|init|seed|setup|createsuperuser", re.IGNORECASE)
SCHEDULER_WORDS = {"beat", "cron", "crond", "scheduler", "supercronic", "clock"}
_SECRET_WORDS = (
    "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL",
)  # fmt: skip


def image_repository(image: str) -> str:
    """``docker.io/bitnami/postgresql:16@sha256:...`` -> ``docker.io/bitnami/postgresql``."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def image_tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    return name[colon + 1 :] if colon > slash else None


def datastore_kind(service: ComposeService, *, with_memcached: bool = False) -> str | None:
    """The datastore a service's image runs (``postgres`` for bitnami/postgresql), or None."""
    image = service.data.get("image")
    if not isinstance(image, str) or not image:
        return None
    last = image_repository(image).lower().rsplit("/", 1)[-1]
    match = _DATASTORE_NAME.search(last)
    if match is None or (match["kind"] == "memcached" and not with_memcached):
        return None
    return match["kind"]


def is_one_shot(service: ComposeService) -> bool:
    if service.data.get("profiles"):
        return True
    mode = restart_mode(service)
    if mode not in ("no", "none") and not (mode or "").startswith("on-failure"):
        return False
    return any(_ONE_SHOT_WORDS.search(word) for word in [service.name, *command_words(service)])


def restart_mode(service: ComposeService) -> str | None:
    """``restart:`` ("no", "always", "on-failure:3"...), else ``deploy.restart_policy.condition``."""
    restart = service.data.get("restart")
    if restart is False:  # an unquoted YAML 1.1 no
        return "no"
    if isinstance(restart, str) and restart:
        return restart
    deploy = service.data.get("deploy")
    policy = deploy.get("restart_policy") if isinstance(deploy, dict) else None
    if isinstance(policy, dict):
        return str(policy.get("condition") or "any")
    return None


def command_words(service: ComposeService) -> list[str]:
    """Tokens of the service's entrypoint and command, else of its built image's effective command."""
    words = compose_syntax.command_tokens(service.data.get("entrypoint"))
    words += compose_syntax.command_tokens(service.data.get("command"))
    if not words and service.dockerfile is not None and not getattr(service.dockerfile, "error", None):
        target = service.build.target if service.build else None
        effective = service.dockerfile.effective_command(target)
        words = compose_syntax.command_tokens(effective or [])
    return words


def is_scheduler(service: ComposeService) -> bool:
    # "celerybeat" is the name Celery's own docs give the service.
    if set(re.split(r"[-_.]", service.name.lower())) & (SCHEDULER_WORDS | {"celerybeat"}):
        return True
    words = command_words(service)
    for word in words:
        # "--beat" embeds the scheduler in a worker; "-B" is its short form for celery.
        base = posixpath.basename(word).lower().lstrip("-")
        if base in SCHEDULER_WORDS or base.rsplit(".", 1)[0] in SCHEDULER_WORDS:
            return True
    return "-B" in words and any(posixpath.basename(w) == "celery" for w in words)


def is_secret_like(name: str) -> bool:
    upper = name.upper()
    return not upper.endswith("_FILE") and any(word in upper for word in _SECRET_WORDS)


def healthcheck_disabled(service: ComposeService) -> bool:
    check = service.data.get("healthcheck")
    if not isinstance(check, dict):
        return False
    test = check.get("test")
    return check.get("disable") is True or test == "NONE" or (isinstance(test, list) and test[:1] == ["NONE"])


def has_own_healthcheck(service: ComposeService) -> bool:
    check = service.data.get("healthcheck")
    return isinstance(check, dict) and not healthcheck_disabled(service) and bool(check.get("test"))


def image_has_healthcheck(service: ComposeService) -> bool:
    dockerfile = service.dockerfile
    if dockerfile is None or getattr(dockerfile, "error", None):
        return False
    return bool(dockerfile.has_healthcheck(service.build.target if service.build else None))


def has_healthcheck(service: ComposeService) -> bool:
    """Its own healthcheck, or its built image's one (which a compose block without test keeps)."""
    return not healthcheck_disabled(service) and (
        has_own_healthcheck(service) or image_has_healthcheck(service)
    )


def unreadable_dockerfile(service: ComposeService) -> bool:
    """The service builds a Dockerfile that could not be parsed, so its image is unknown."""
    return service.dockerfile is not None and bool(getattr(service.dockerfile, "error", None))


# Stands in for a variable that has no default, so a check can see what the deployer supplies.
DEPLOYER_VALUE = "\x00"


def with_deployer_marks(raw_value) -> str | None:
    """The raw string with defaults applied and DEPLOYER_VALUE where a variable has none."""
    if not isinstance(raw_value, str):
        return None
    try:
        return interpolate(raw_value, unset=DEPLOYER_VALUE)[0]
    except InterpolationError:
        return raw_value


def left_to_deployer(raw_value) -> bool:
    """True when the raw value interpolates a variable that has no default (the deployer sets it)."""
    marked = with_deployer_marks(raw_value)
    return marked is not None and DEPLOYER_VALUE in marked


def is_interpolated(raw_value) -> bool:
    """True when the raw value takes anything from a ``${VAR}``/``$VAR`` (``$$`` is a literal dollar)."""
    if not isinstance(raw_value, str) or "$" not in raw_value:
        return False
    try:
        _, variables = interpolate(raw_value)
    except InterpolationError:
        return False
    return bool(variables)
