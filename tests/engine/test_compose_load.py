"""compose.load_compose: YAML limits, hostile input, merge keys, extends, interpolation, syntaxes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from readiness.engine import compose_syntax as syntax
from readiness.engine.compose import load_compose
from readiness.engine.compose_interpolate import InterpolationError, interpolate
from tests.shared_dir import shared_path

CORPUS = shared_path("corpus", "awesome-compose")


def load(text: str, rel: str = "docker-compose.yml", files: dict[str, str] | None = None):
    files = files or {}

    def read(path: str) -> bytes:
        if path not in files:
            raise OSError(f"{path}: no such file")
        return files[path].encode()

    return load_compose(rel, text.encode(), None, read=read)


# Hostile and broken input ---------------------------------------------------------------------


def test_alias_bomb_fails_fast_with_the_reason():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghij":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    started = time.perf_counter()
    compose = load("\n".join(lines) + "\nservices: {}\n")
    assert time.perf_counter() - started < 2
    assert "alias" in compose.error
    assert compose.services == {}


def test_many_plain_aliases_over_the_limit_are_refused():
    body = "x: &x 1\nl: [" + ",".join(["*x"] * 10_001) + "]\n"
    assert "alias" in load(body).error


def test_self_referencing_alias_is_refused():
    assert "refers to itself" in load("services: &s\n  web: *s\n").error


@pytest.mark.parametrize(
    "text",
    ["[" * 10_000 + "]" * 10_000, "".join("  " * i + "-\n" for i in range(500))],
    ids=["flow", "block"],
)
def test_deep_nesting_is_an_error_not_a_recursion_crash(text):
    compose = load(text)
    assert "deeper than 100" in compose.error


def test_depth_reached_through_an_alias_counts():
    nested = "a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 50 + "*a" + "]" * 50 + "\n"
    assert "deeper than 100" in load(nested).error


@pytest.mark.parametrize(
    ("text", "reason"),
    [("- a\n- b\n", "not a mapping"), ("just a string\n", "not a mapping"), ("", "not a mapping")],
)
def test_top_level_must_be_a_mapping(text, reason):
    assert reason in load(text).error


def test_invalid_utf8_and_nul_bytes():
    assert "UTF-8" in load_compose("compose.yaml", b"services:\n  web: {image: \xff\xfe}\n", None).error
    assert "NUL" in load_compose("compose.yaml", b"services:\x00\n", None).error


def test_oversize_file_is_an_error():
    big = b"# " + b"x" * (1024 * 1024) + b"\nservices: {}\n"
    assert "larger than" in load_compose("compose.yaml", big, None).error


def test_read_error_is_carried_for_canonical_names():
    compose = load_compose("deploy/compose.prod.yaml", None, "is a symlink; links are not followed")
    assert compose.error == "is a symlink; links are not followed"
    assert compose.dir == "deploy"


@pytest.mark.parametrize(
    "name",
    ["compose.yml", "compose.yaml", "docker-compose.yml", "docker-compose.prod.yaml", "compose.staging.yml"],
)
def test_canonical_names_always_give_a_compose_file(name):
    assert load("- not\n- compose\n", rel=name).error


@pytest.mark.parametrize(
    "text",
    ["- a list\n", "title: Notes on docker compose\nitems: [a]\n", "services: [\n"],
)
def test_other_compose_named_files_must_look_like_compose(text):
    assert load(text, rel="docs/docker-compose-notes.yml") is None
    assert load(text, rel="docs/compose-notes.yml") is None


def test_other_compose_named_file_with_services_is_compose():
    compose = load("services:\n  web:\n    image: app:1\n", rel="ops/podman-compose-app.yml")
    assert compose is not None and "web" in compose.services


def test_duplicate_keys_are_violations():
    compose = load("services:\n  web:\n    image: a:1\n    image: b:1\n")
    assert [(e.line, e.message) for e in compose.schema_errors] == [(4, "services.web.image: duplicate key")]


# Schema validation ----------------------------------------------------------------------------


def test_schema_violations_name_the_offending_key_and_line():
    compose = load(
        "services:\n  web:\n    image: app:1\n    ports:\n      - {target: 80, mode: [x]}\n    bogus: 1\n"
    )
    messages = {(e.line, e.message.split(":")[0]) for e in compose.schema_errors}
    assert (6, "services.web.bogus") in messages
    assert any(msg.startswith("services.web.ports[0]") for _, msg in messages)


def test_valid_file_has_no_violations_and_yaml_12_scalars():
    compose = load("services:\n  web:\n    image: app:1\n    restart: no\n    ports: [22:22, 8080:80]\n")
    assert compose.schema_errors == []
    web = compose.services["web"].data
    assert web["restart"] == "no"  # YAML 1.2: "no" is a string, as Compose reads it
    assert web["ports"] == ["22:22", "8080:80"]  # no base-60 integers


# Merge keys, extends, interpolation -----------------------------------------------------------


def test_merge_keys_and_anchors():
    compose = load(
        "x-base: &base\n  restart: always\n  logging:\n    driver: local\n"
        "services:\n  web:\n    <<: *base\n    image: app:1\n    restart: unless-stopped\n"
    )
    web = compose.services["web"]
    assert web.data["restart"] == "unless-stopped"
    assert web.data["logging"] == {"driver": "local"}
    assert web.line == 6
    assert web.line_of("restart") == 9


def test_extends_in_the_same_file_merges_and_overrides():
    compose = load(
        "services:\n"
        "  base:\n    image: app:1\n    environment: [A=1, B=2]\n    ports: ['80:80']\n    command: one\n"
        "  web:\n    extends: base\n    environment: {B: '3'}\n    ports: ['81:81']\n    command: two\n"
    )
    web = compose.services["web"].data
    assert web["image"] == "app:1"
    assert web["environment"] == {"A": "1", "B": "3"}
    assert web["ports"] == ["80:80", "81:81"]
    assert web["command"] == "two"
    assert "extends" not in web


def test_extends_from_another_file_rebases_the_build_context():
    common = "services:\n  app:\n    build:\n      context: ./app\n    restart: always\n"
    compose = load(
        "services:\n  web:\n    extends:\n      file: ../common/services.yml\n      service: app\n",
        rel="deploy/docker-compose.yml",
        files={"common/services.yml": common},
    )
    web = compose.services["web"]
    assert web.data["restart"] == "always"
    assert web.build.context == "common/app"
    assert web.build.dockerfile == "common/app/Dockerfile"


@pytest.mark.parametrize(
    ("extends", "reason"),
    [
        ("{file: ../../etc/passwd, service: x}", "outside the project root"),
        ("{file: missing.yml, service: x}", "missing.yml"),
        ("nothere", "not found"),
        ("web", "loops back"),
    ],
)
def test_bad_extends_is_a_violation_not_a_crash(extends, reason):
    compose = load(f"services:\n  web:\n    image: app:1\n    extends: {extends}\n")
    assert any(reason in e.message and e.line == 4 for e in compose.schema_errors), compose.schema_errors


@pytest.mark.parametrize(
    ("text", "value", "variables"),
    [
        ("${VAR}", "", [("VAR", False)]),
        ("${VAR:-fallback}", "fallback", [("VAR", True)]),
        ("${VAR-fallback}", "fallback", [("VAR", True)]),
        ("${VAR:?must be set}", "", [("VAR", False)]),
        ("${VAR?must be set}", "", [("VAR", False)]),
        ("${VAR:+alt}", "", [("VAR", True)]),
        ("$VAR/bin", "/bin", [("VAR", False)]),
        ("$$VAR and $${X}", "$VAR and ${X}", []),
        ("${A:-${B:-deep}}", "deep", [("A", True), ("B", True)]),
        ("price: 5$", "price: 5$", []),
    ],
)
def test_interpolation_forms(text, value, variables):
    result, found = interpolate(text)
    assert result == value
    assert [(v.name, v.has_default) for v in found] == variables


def test_interpolation_error():
    with pytest.raises(InterpolationError):
        interpolate("${VAR")


def test_variables_are_recorded_with_lines_and_defaults_applied():
    compose = load(
        "services:\n  db:\n    image: postgres:${PG:-16}\n    environment:\n"
        "      POSTGRES_PASSWORD: ${DB_PASSWORD:?set it}\n      PRICE: $$5\n"
    )
    assert compose.variables == [("PG", True, 3), ("DB_PASSWORD", False, 5)]
    db = compose.services["db"]
    assert db.data["image"] == "postgres:16"
    assert db.data["environment"]["PRICE"] == "$5"
    assert db.raw["environment"]["POSTGRES_PASSWORD"] == "${DB_PASSWORD:?set it}"


# Build specs and development files ------------------------------------------------------------


def test_build_context_and_dockerfile_resolve_against_the_compose_folder():
    compose = load(
        "services:\n  web:\n    build:\n      context: ../../..\n"
        "      dockerfile: deployment/docker/prod/Dockerfile\n      target: runtime\n",
        rel="deployment/docker/docker_prod/docker-compose.yml",
    )
    build = compose.services["web"].build
    assert (build.context, build.dockerfile, build.target, build.line) == (
        "",
        "deployment/docker/prod/Dockerfile",
        "runtime",
        3,
    )


@pytest.mark.parametrize(
    ("build", "context", "dockerfile"),
    [
        ("./api", "svc/api", "svc/api/Dockerfile"),
        ("{context: ../.., dockerfile: Dockerfile}", None, None),
        ("https://github.com/acme/app.git#main", None, None),
        ("{context: ., dockerfile_inline: 'FROM scratch'}", "svc", None),
    ],
)
def test_build_context_outside_the_root_or_remote_is_none(build, context, dockerfile):
    compose = load(f"services:\n  web:\n    build: {build}\n", rel="svc/compose.yaml")
    assert (compose.services["web"].build.context, compose.services["web"].build.dockerfile) == (
        context,
        dockerfile,
    )


@pytest.mark.parametrize(
    ("rel", "is_dev", "is_override"),
    [
        ("docker-compose.yml", False, False),
        ("docker-compose.dev.yml", True, False),
        ("compose.test.yaml", True, False),
        ("docker-compose.override.yml", True, True),
        ("compose.override.yaml", True, True),
        ("deployment/docker/docker_dev/docker-compose.yml", True, False),
        ("development/compose.yaml", True, False),
        (".devcontainer/docker-compose.yml", True, False),
        ("deployment/docker/docker_prod/docker-compose.yml", False, False),
        ("docker-compose.prod.yml", False, False),
    ],
)
def test_development_files(rel, is_dev, is_override):
    compose = load("services: {}\n", rel=rel)
    assert (compose.is_dev, compose.is_override) == (is_dev, is_override)


# Short and long syntaxes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ("5432", syntax.Port("5432", None, None)),
        ("5432:5432", syntax.Port("5432", "5432", None)),
        ("127.0.0.1:5432:5432", syntax.Port("5432", "5432", "127.0.0.1")),
        ("[::1]:6001:6001", syntax.Port("6001", "6001", "::1")),
        ("::1:6001:6001", syntax.Port("6001", "6001", "::1")),
        ("6060:6060/udp", syntax.Port("6060", "6060", None, "udp")),
        ("9090-9091:8080-8081", syntax.Port("8080-8081", "9090-9091", None)),
        (8080, syntax.Port("8080", None, None)),
        ({"target": 80, "published": "8080", "host_ip": "127.0.0.1"}, syntax.Port("80", "8080", "127.0.0.1")),
        ({"target": 80, "published": 8080}, syntax.Port("80", "8080", None)),
    ],
)
def test_port_syntaxes(port, expected):
    assert syntax.ports([port]) == [expected]


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        ("db-data:/var/lib/postgresql/data", syntax.Mount("volume", "db-data", "/var/lib/postgresql/data")),
        ("./src:/app/src:ro", syntax.Mount("bind", "./src", "/app/src")),
        ("/srv/data:/data", syntax.Mount("bind", "/srv/data", "/data")),
        ("~/cache:/cache", syntax.Mount("bind", "~/cache", "/cache")),
        ("/var/lib/mysql", syntax.Mount("anonymous", None, "/var/lib/mysql")),
        ({"type": "volume", "source": "data", "target": "/data"}, syntax.Mount("volume", "data", "/data")),
        ({"type": "volume", "target": "/data"}, syntax.Mount("anonymous", None, "/data")),
        ({"type": "bind", "source": ".", "target": "/app"}, syntax.Mount("bind", ".", "/app")),
        ({"type": "tmpfs", "target": "/tmp"}, syntax.Mount("tmpfs", None, "/tmp")),
    ],
)
def test_volume_syntaxes(volume, expected):
    assert syntax.mounts([volume]) == [expected]


def test_depends_on_syntaxes():
    assert syntax.depends_on(["db", "cache"]) == {"db": "service_started", "cache": "service_started"}
    assert syntax.depends_on({"db": {"condition": "service_healthy"}, "cache": None}) == {
        "db": "service_healthy",
        "cache": "service_started",
    }


def test_profiles_are_kept():
    compose = load("services:\n  seed:\n    image: app:1\n    profiles: [tools, ci]\n")
    assert compose.services["seed"].data["profiles"] == ["tools", "ci"]


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("256m", 268_435_456),
        ("256mb", 268_435_456),
        ("256MiB", 268_435_456),
        ("1g", 1_073_741_824),
        (1024, 1024),
    ],
)
def test_byte_sizes_use_binary_units(value, size):
    assert syntax.byte_size(value) == size


def test_command_tokens_split_shell_scripts():
    assert syntax.command_tokens(["sh", "-c", "celery -A proj beat"]) == [
        "sh",
        "-c",
        "celery",
        "-A",
        "proj",
        "beat",
    ]
    assert syntax.command_tokens("gunicorn 'app:create_app()' -b :8000") == [
        "gunicorn",
        "app:create_app()",
        "-b",
        ":8000",
    ]


# The real world -------------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yml", ".yaml") and "compose" in p.name)


def test_every_awesome_compose_file_loads():
    files = corpus_files()
    assert files
    for path in files:
        compose = load_compose(path.relative_to(CORPUS).as_posix(), path.read_bytes(), None)
        assert compose is not None, path
        assert compose.error is None, (path, compose.error)
        assert compose.services, path


def test_number_and_boolean_keys_are_read_as_compose_reads_them():
    """YAML makes `0:`, `1.5:` and `true:` numbers and booleans; Compose (and JSON) keys are text.
    They reached the schema validator's regexes and stopped the loader (found by make fuzz)."""
    top = load_compose("compose.yaml", b"0 : \n", None)
    assert top.error is None
    assert [e.message for e in top.schema_errors] == [
        "(top level): '0' does not match any of the regexes: '^x-'"
    ]
    compose = load_compose(
        "compose.yaml",
        b"services:\n  0:\n    image: x:1\n    environment:\n      5: 2\n      true: yes\n",
        None,
    )
    assert compose.error is None and compose.schema_errors == []
    assert list(compose.services) == ["0"]
    assert compose.services["0"].data["environment"] == {"5": 2, "true": "yes"}  # YAML 1.2, as Compose
