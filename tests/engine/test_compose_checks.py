"""Every compose.* check over its fixture folders: tests/engine/fixtures/<check id>/<case>/."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.engine import analyze
from readiness.engine.model import Status
from readiness.engine.project import build_project
from readiness.engine.registry import all_checks

FIXTURES = Path(__file__).parent / "fixtures"


def scan(root: Path):
    """The parsed and linked project the checks see."""
    return build_project(root)


def run_check(check_id: str, project):
    """One check over a project built (and perhaps adjusted) by the test."""
    func = dict((meta.id, f) for meta, f in all_checks())[check_id]
    return func(project)


def analyze_one(check_id: str, root: Path):
    """One check the way the CLI and the worker run it."""
    return analyze(root, only=[check_id]).result(check_id)


def places(evidence) -> list[tuple[str, int | None]]:
    return sorted(((e.file, e.line) for e in evidence), key=lambda place: (place[0], place[1] or 0))


def places_of(expected) -> list[tuple[str, int | None]]:
    return sorted(expected, key=lambda place: (place[0], place[1] or 0))


# (check id, case folder, status, the (file, line) of every failing place; None: not asserted)
CASES = [
    ("compose.valid", "pass", Status.PASS, None),
    ("compose.valid", "fail", Status.FAIL, [("docker-compose.yml", 4), ("docker-compose.yml", 8)]),
    ("compose.valid", "error", Status.ERROR, [("docker-compose.yml", 4)]),
    ("compose.valid", "error_dev", Status.ERROR, [("docker-compose.dev.yml", None)]),
    ("compose.healthchecks", "pass", Status.PASS, None),
    ("compose.healthchecks", "pass_image", Status.PASS, None),
    ("compose.healthchecks", "fail_image", Status.FAIL, [("deploy/docker-compose.yml", 2)]),
    ("compose.healthchecks", "fail", Status.FAIL, [("docker-compose.yml", 6), ("docker-compose.yml", 11)]),
    ("compose.healthchecks", "pass_one_shot_only", Status.PASS, [("docker-compose.yml", None)]),
    ("compose.healthchecks", "na_dev_only", Status.NA, []),
    ("compose.depends_on_healthy", "pass", Status.PASS, None),
    (
        "compose.depends_on_healthy",
        "fail",
        Status.FAIL,
        [("docker-compose.yml", 4), ("docker-compose.yml", 9)],
    ),
    ("compose.depends_on_healthy", "na", Status.NA, []),
    # Completion is accepted only from one-shots: a long-running service must be healthy.
    ("compose.depends_on_healthy", "fail_completed_long_running", Status.FAIL, [("docker-compose.yml", 5)]),
    ("compose.restart_policy", "pass", Status.PASS, None),
    ("compose.restart_policy", "fail", Status.FAIL, [("docker-compose.yml", 2), ("docker-compose.yml", 7)]),
    ("compose.resource_limits", "pass", Status.PASS, None),
    ("compose.resource_limits", "warn", Status.WARN, [("docker-compose.yml", 4)]),
    ("compose.resource_limits", "fail", Status.FAIL, [("docker-compose.yml", 4), ("docker-compose.yml", 8)]),
    ("compose.log_rotation", "pass", Status.PASS, None),
    ("compose.log_rotation", "fail", Status.FAIL, [("docker-compose.yml", 2), ("docker-compose.yml", 6)]),
    ("compose.persistent_volumes", "pass", Status.PASS, None),
    (
        "compose.persistent_volumes",
        "fail",
        Status.FAIL,
        [("docker-compose.yml", 4), ("docker-compose.yml", 7)],
    ),
    ("compose.persistent_volumes", "na", Status.NA, []),
    ("compose.redis_auth", "pass", Status.PASS, None),
    ("compose.redis_auth", "fail", Status.FAIL, [("docker-compose.yml", 2)]),
    ("compose.redis_auth", "na", Status.NA, []),
    ("compose.postgres_shm_size", "pass", Status.PASS, None),
    (
        "compose.postgres_shm_size",
        "fail",
        Status.FAIL,
        [("docker-compose.yml", 2), ("docker-compose.yml", 6)],
    ),
    ("compose.postgres_shm_size", "na", Status.NA, []),
    ("compose.no_plaintext_secrets", "pass", Status.PASS, None),
    (
        "compose.no_plaintext_secrets",
        "fail",
        Status.FAIL,
        [("docker-compose.yml", 5), ("docker-compose.yml", 10), ("docker-compose.yml", 11)],
    ),
    ("compose.no_plaintext_secrets", "pass_url", Status.PASS, None),
    (
        "compose.no_plaintext_secrets",
        "fail_url",
        Status.FAIL,
        [("docker-compose.yml", 5), ("docker-compose.yml", 6), ("docker-compose.yml", 11)],
    ),
    ("compose.network_segmentation", "pass", Status.PASS, None),
    (
        "compose.network_segmentation",
        "fail",
        Status.FAIL,
        [("docker-compose.yml", 5), ("docker-compose.yml", 8), ("docker-compose.yml", 12)],
    ),
    ("compose.db_ports_private", "pass", Status.PASS, None),
    (
        "compose.db_ports_private",
        "fail",
        Status.FAIL,
        [
            ("docker-compose.yml", 6),
            ("docker-compose.yml", 10),
            ("docker-compose.yml", 15),
            ("docker-compose.yml", 18),
        ],
    ),
    ("compose.db_ports_private", "na", Status.NA, []),
    ("compose.images_pinned", "pass", Status.PASS, None),
    (
        "compose.images_pinned",
        "fail",
        Status.FAIL,
        [
            ("docker-compose.yml", 3),
            ("docker-compose.yml", 5),
            ("docker-compose.yml", 7),
            ("docker-compose.yml", 9),
        ],
    ),
    ("compose.images_pinned", "pass_build_only", Status.PASS, [("docker-compose.yml", None)]),
    ("compose.single_scheduler", "pass", Status.PASS, None),
    ("compose.single_scheduler", "fail", Status.FAIL, [("docker-compose.yml", 5), ("docker-compose.yml", 9)]),
    ("compose.single_scheduler", "na", Status.NA, []),
    ("compose.build_cache_from", "pass", Status.PASS, None),
    (
        "compose.build_cache_from",
        "fail",
        Status.WARN,
        [("docker-compose.yml", 3), ("docker-compose.yml", 10)],
    ),
    ("compose.build_cache_from", "na", Status.NA, []),
    ("compose.dev_override", "pass", Status.PASS, None),
    ("compose.dev_override", "pass_dev_folder", Status.PASS, None),
    (
        "compose.dev_override",
        "fail",
        Status.WARN,
        [
            ("docker-compose.yml", None),  # no override file
            ("docker-compose.yml", 4),  # runserver
            ("docker-compose.yml", 6),  # DEBUG=1
            ("docker-compose.yml", 8),  # bind mount of the context
            ("docker-compose.yml", 11),  # debugger port
            ("docker-compose.yml", 14),  # npm run dev
            ("docker-compose.yml", 16),  # NODE_ENV
        ],
    ),
    ("compose.env_example", "pass", Status.PASS, None),
    ("compose.env_example", "fail", Status.FAIL, [("deploy/docker-compose.yml", 8)]),
    ("compose.env_example", "fail_missing", Status.FAIL, [("docker-compose.yml", 4)]),
    ("compose.env_example", "na", Status.NA, []),
    ("compose.stop_grace_period", "pass", Status.PASS, None),
    ("compose.stop_grace_period", "fail", Status.WARN, [("docker-compose.yml", 5)]),
    ("compose.stop_grace_period", "pass_datastores_only", Status.PASS, [("docker-compose.yml", None)]),
    ("compose.no_docker_socket", "pass", Status.PASS, [("docker-compose.yml", None)]),
    ("compose.no_docker_socket", "fail", Status.FAIL, [("docker-compose.yml", 5), ("docker-compose.yml", 9)]),
    ("compose.no_privileged", "pass", Status.PASS, [("docker-compose.yml", None)]),
    (
        "compose.no_privileged",
        "fail",
        Status.FAIL,
        [
            ("docker-compose.yml", 4),  # privileged: true
            ("docker-compose.yml", 7),  # pid: host
            ("docker-compose.yml", 10),  # cap_add SYS_ADMIN
            ("docker-compose.yml", 13),  # userns_mode: host
            ("docker-compose.yml", 14),  # ipc: host
        ],
    ),
    ("compose.datastore_auth", "pass", Status.PASS, [("docker-compose.yml", None)]),
    (
        "compose.datastore_auth",
        "fail",
        Status.FAIL,
        [("docker-compose.yml", 5), ("docker-compose.yml", 9), ("docker-compose.yml", 12)],
    ),
    ("compose.datastore_auth", "na", Status.NA, []),
    ("compose.healthcheck_can_fail", "pass", Status.PASS, [("docker-compose.yml", None)]),
    (
        "compose.healthcheck_can_fail",
        "fail",
        Status.FAIL,
        [("docker-compose.yml", 5), ("docker-compose.yml", 9), ("docker-compose.yml", 13)],
    ),
    ("compose.healthcheck_can_fail", "na", Status.NA, []),
    ("compose.images_versioned", "pass", Status.PASS, [("docker-compose.yml", None)]),
    (
        "compose.images_versioned",
        "fail",
        Status.WARN,
        [("docker-compose.yml", 3), ("docker-compose.yml", 5), ("docker-compose.yml", 7)],
    ),
    ("compose.images_versioned", "na", Status.NA, []),
]


@pytest.mark.parametrize(
    ("check_id", "case", "status", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_check_over_fixture(check_id, case, status, expected):
    result = analyze_one(check_id, FIXTURES / check_id / case)
    assert result.status == status, result.evidence
    if expected is not None:
        assert places(result.evidence) == places_of(expected), result.evidence
    assert all(e.message for e in result.evidence)


def test_every_compose_check_has_passing_and_failing_fixture():
    ids = {meta.id for meta, _ in all_checks() if meta.id.startswith("compose.")}
    covered = {(c[0], c[2]) for c in CASES}
    for check_id in ids:
        assert (check_id, Status.PASS) in covered, check_id
        assert {(check_id, Status.FAIL), (check_id, Status.WARN), (check_id, Status.ERROR)} & covered, (
            check_id
        )


def test_development_findings_are_reported_but_do_not_decide():
    result = run_check("compose.healthchecks", scan(FIXTURES / "compose.healthchecks" / "fail"))
    assert places(result.dev_evidence) == [("docker-compose.dev.yml", 2)]
    only_dev = run_check("compose.healthchecks", scan(FIXTURES / "compose.healthchecks" / "na_dev_only"))
    assert only_dev.status == Status.NA
    assert [e.message for e in only_dev.dev_evidence] == ["web: no healthcheck"]


def test_unreadable_production_file_is_an_error_when_nothing_else_decides(tmp_path):
    (tmp_path / "docker-compose.yml").write_text("services:\n  web: [\n")
    assert run_check("compose.restart_policy", scan(tmp_path)).status == Status.ERROR
    (tmp_path / "compose.prod.yml").write_text("services:\n  web:\n    image: app:1\n")
    result = run_check("compose.restart_policy", scan(tmp_path))
    assert result.status == Status.FAIL
    assert {e.file for e in result.evidence} == {"docker-compose.yml", "compose.prod.yml"}


class FakeDockerfile:
    """Stands in for agent A's parsed Dockerfile: only what the compose checks ask of it."""

    def __init__(self, *, healthcheck: bool, command: list[str] | None = None, error: str | None = None):
        self.error, self.is_dev = error, False
        self._healthcheck, self._command = healthcheck, command

    def has_healthcheck(self, target=None) -> bool:
        return self._healthcheck

    def effective_command(self, target=None) -> list[str] | None:
        return self._command


def _built_web(tmp_path, dockerfile: FakeDockerfile, extra: str = ""):
    (tmp_path / "docker-compose.yml").write_text(
        f"services:\n  web:\n    build: .\n{extra}  db:\n    image: postgres:16\n"
        "    healthcheck:\n      test: [CMD, pg_isready]\n"
    )
    project = scan(tmp_path)
    project.compose_files[0].services["web"].dockerfile = dockerfile
    return project


def test_image_healthcheck_counts_for_compose_healthchecks(tmp_path):
    project = _built_web(tmp_path, FakeDockerfile(healthcheck=True))
    assert run_check("compose.healthchecks", project).status == Status.PASS
    project = _built_web(tmp_path, FakeDockerfile(healthcheck=False))
    result = run_check("compose.healthchecks", project)
    assert result.status == Status.FAIL
    assert "Dockerfile" in result.evidence[0].message


def test_unreadable_dockerfile_leaves_healthcheck_undecided(tmp_path):
    project = _built_web(tmp_path, FakeDockerfile(healthcheck=False, error="binary file"))
    assert run_check("compose.healthchecks", project).status == Status.ERROR


def test_depends_on_a_service_whose_image_has_a_healthcheck(tmp_path):
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  api:\n    build: .\n  web:\n    image: app:1\n    depends_on: [api]\n"
    )
    project = scan(tmp_path)
    project.compose_files[0].services["api"].dockerfile = FakeDockerfile(healthcheck=True)
    result = run_check("compose.depends_on_healthy", project)
    assert result.status == Status.FAIL
    assert places(result.evidence) == [("docker-compose.yml", 6)]


def test_scheduler_found_in_the_built_image_command(tmp_path):
    (tmp_path / "docker-compose.yml").write_text("services:\n  tasks:\n    build: .\n    scale: 2\n")
    project = scan(tmp_path)
    service = project.compose_files[0].services["tasks"]
    service.dockerfile = FakeDockerfile(healthcheck=False, command=["celery", "-A", "proj", "beat"])
    assert run_check("compose.single_scheduler", project).status == Status.FAIL
    service.dockerfile = FakeDockerfile(healthcheck=False, command=["celery", "-A", "proj", "worker"])
    assert run_check("compose.single_scheduler", project).status == Status.NA


@pytest.mark.parametrize(
    ("service", "scheduler"),
    [
        ("  celerybeat:\n    image: app:1\n", True),
        ("  tasks:\n    image: app:1\n    command: celery -A proj worker --beat\n", True),
        ("  tasks:\n    image: app:1\n    command: [celery, -A, proj, worker, -B]\n", True),
        ("  tasks:\n    image: app:1\n    entrypoint: /usr/local/bin/supercronic\n", True),
        ("  tasks:\n    image: app:1\n    command: python scripts/clock.py\n", True),
        ("  heartbeat:\n    image: app:1\n", False),
        ("  worker:\n    image: app:1\n    command: celery -A proj worker\n", False),
    ],
)
def test_scheduler_services(tmp_path, service, scheduler):
    (tmp_path / "compose.yaml").write_text(f"services:\n{service}    scale: 2\n")
    result = run_check("compose.single_scheduler", scan(tmp_path))
    assert result.status == (Status.FAIL if scheduler else Status.NA)


@pytest.mark.parametrize(
    ("service", "one_shot"),
    [
        ("    profiles: [tools]\n", True),
        ('    command: python manage.py migrate\n    restart: "no"\n', True),
        ("    command: ./seed.sh\n    restart: on-failure\n", True),
        ("    command: python manage.py migrate\n", False),  # no restart: is not one-shot
        ('    command: gunicorn app:app\n    restart: "no"\n', False),
    ],
)
def test_one_shot_services_are_not_long_running(tmp_path, service, one_shot):
    (tmp_path / "compose.yaml").write_text(f"services:\n  job:\n    image: app:1\n{service}")
    result = run_check("compose.restart_policy", scan(tmp_path))
    if one_shot:
        assert result.status == Status.PASS
        assert [e.message for e in result.evidence] == ["no long-running services to check"]
    else:
        assert result.status == Status.FAIL


@pytest.mark.parametrize(
    ("image", "datastore"),
    [
        ("bitnami/postgresql:16", True),
        ("docker.io/library/mongo:7", True),
        ("confluentinc/cp-kafka:7.6.0", True),
        ("clickhouse/clickhouse-server:24", True),
        ("mysql/mysql-server:8.0", True),
        ("redis/redis-stack-server:7.2.0-v10", True),
        ("mongo-express:1.0", False),
        ("rediscommander/redis-commander:latest", False),
        ("prometheuscommunity/postgres-exporter:v0.15.0", False),
        ("memcached:1.6", False),  # memcached counts for db_ports_private and segmentation only
        ("zulip/zulip-postgresql:14", True),
        ("bitnami/redis-cluster:7.2", True),
        ("mongodb/mongodb-community-server:7.0-ubi8", True),
        ("oliver006/redis_exporter:v1.62.0", False),
        ("acme/app-redis-exporter:1", False),
    ],
)
def test_datastore_images(tmp_path, image, datastore):
    (tmp_path / "compose.yaml").write_text(f"services:\n  store:\n    image: {image}\n")
    result = run_check("compose.persistent_volumes", scan(tmp_path))
    assert result.status == (Status.FAIL if datastore else Status.NA)


@pytest.mark.parametrize(
    ("limits", "status"),
    [
        ("    mem_limit: 512m\n    cpu_quota: 50000\n", Status.PASS),
        (
            "    cpus: 0.5\n    deploy:\n      resources:\n        limits:\n          memory: 1g\n",
            Status.PASS,
        ),
        ("    mem_limit: ${WEB_MEMORY}\n    cpus: ${WEB_CPUS:-1}\n", Status.PASS),
        ("    mem_limit: 512m\n", Status.WARN),
        ("    cpus: 2\n", Status.FAIL),
        ("    mem_limit: 0\n    cpus: 1\n", Status.FAIL),
        ("    deploy:\n      resources:\n        reservations:\n          memory: 1g\n", Status.FAIL),
    ],
)
def test_memory_and_cpu_limit_forms(tmp_path, limits, status):
    (tmp_path / "compose.yaml").write_text(f"services:\n  web:\n    image: app:1\n{limits}")
    assert run_check("compose.resource_limits", scan(tmp_path)).status == status


@pytest.mark.parametrize(
    ("name", "value", "flagged"),
    [
        ("DB_PASSWD", "hunter2", True),
        ("github_apikey", "abc", True),
        ("SSH_PRIVATE_KEY", "-----BEGIN", True),
        ("AWS_ACCESS_KEY_ID", "AKIA0000", True),
        ("GOOGLE_CREDENTIALS", "{}", True),
        ("AUTH_TOKEN", 12345, True),
        ("DB_PASSWORD_FILE", "/run/secrets/db", False),
        ("DB_PASSWORD", "${DB_PASSWORD:-changeme}", False),
        ("DB_PASSWORD", "", False),
        ("DB_USER", "app", False),
    ],
)
def test_secret_like_names(tmp_path, name, value, flagged):
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  web:\n    image: app:1\n    environment:\n      {name}: {value!r}\n"
    )
    result = run_check("compose.no_plaintext_secrets", scan(tmp_path))
    assert result.status == (Status.FAIL if flagged else Status.PASS)
    if flagged:
        assert places(result.evidence) == [("compose.yaml", 5)]


@pytest.mark.parametrize(
    ("image", "status"),
    [
        ("${IMAGE}", Status.PASS),
        ("${REGISTRY:-ghcr.io}/acme/app:${TAG:?set TAG}", Status.PASS),
        ("${REGISTRY}/acme/app", Status.FAIL),
        ("${IMAGE:-app:latest}", Status.FAIL),
        ("registry.example.com:5000/app:1.2@sha256:" + "a" * 64, Status.PASS),
    ],
)
def test_images_pinned_with_interpolation(tmp_path, image, status):
    (tmp_path / "compose.yaml").write_text(f"services:\n  web:\n    image: '{image}'\n")
    assert run_check("compose.images_pinned", scan(tmp_path)).status == status


def test_shell_variables_need_no_env_example(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: app:1\n    volumes:\n"
        "      - $HOME/.aws:/root/.aws:ro\n      - ${PWD}:/src\n"
    )
    assert run_check("compose.env_example", scan(tmp_path)).status == Status.NA
