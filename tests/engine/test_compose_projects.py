"""Compose projects, not loose files (checks.md, Version 2): merge tags, overlays, include:, templates,
the wider development-file set, and one unreadable file deciding only its own results."""

from __future__ import annotations

import pytest

from readiness.engine import analyze, safe_yaml
from readiness.engine.compose_merge import merge_service
from readiness.engine.model import Status
from readiness.engine.project import build_project


def write(root, files: dict[str, str]):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def result(root, check_id):
    return analyze(root, only=[check_id]).result(check_id)


def places(evidence):
    return sorted((e.file, e.line) for e in evidence)


HEALTHY_WEB = (
    "services:\n"
    "  web:\n"
    "    image: app:1.2\n"
    "    restart: unless-stopped\n"
    "    healthcheck:\n"
    "      test: [CMD, /app/healthcheck]\n"
)


# Merge tags -------------------------------------------------------------------------------------


def test_merge_tags_parse_and_reset_removes_a_merge_key_value():
    loaded = safe_yaml.load(
        b"x-base: &base\n  ports: ['80:80']\n  restart: always\n"
        b"services:\n  web:\n    <<: *base\n    image: app:1\n    ports: !reset []\n"
        b"    environment: !override\n      A: '1'\n"
    )
    assert loaded.data["services"]["web"] == {
        "restart": "always",
        "image": "app:1",
        "environment": {"A": "1"},
    }
    assert loaded.merge_tags == {
        ("services", "web", "ports"): "reset",
        ("services", "web", "environment"): "override",
    }


def test_a_file_with_merge_tags_is_valid_and_judged(tmp_path):
    write(tmp_path, {"compose.yaml": HEALTHY_WEB + "    ports: !reset []\n    command: !override [serve]\n"})
    report = analyze(tmp_path)
    assert report.result("compose.valid").status == Status.PASS
    assert report.result("compose.healthchecks").status == Status.PASS
    assert not [r.id for r in report.results if r.status == Status.ERROR]


@pytest.mark.parametrize(
    ("base", "override", "tags", "merged"),
    [
        ({"ports": ["80:80"]}, {"ports": ["443:443"]}, {}, {"ports": ["80:80", "443:443"]}),
        ({"ports": ["80:80"]}, {"ports": ["443:443"]}, {("ports",): "override"}, {"ports": ["443:443"]}),
        ({"ports": ["80:80"], "image": "a:1"}, {}, {("ports",): "reset"}, {"image": "a:1"}),
        ({"environment": ["A=1", "B=2"]}, {"environment": {"B": "3"}}, {},
         {"environment": {"A": "1", "B": "3"}}),
        ({"volumes": ["./a:/data", "b:/b"]}, {"volumes": ["vol:/data"]}, {},
         {"volumes": ["b:/b", "vol:/data"]}),
        ({"command": ["a", "b"]}, {"command": ["c"]}, {}, {"command": ["c"]}),
        (
            {"healthcheck": {"test": ["CMD", "a"], "interval": "5s"}},
            {"healthcheck": {"test": ["CMD", "b"]}},
            {},
            {"healthcheck": {"test": ["CMD", "b"], "interval": "5s"}},
        ),
        ({"build": "."}, {"build": {"target": "prod"}}, {}, {"build": {"context": ".", "target": "prod"}}),
        ({"depends_on": ["db"]}, {"depends_on": {"cache": {"condition": "service_healthy"}}}, {},
         {"depends_on": {"db": None, "cache": {"condition": "service_healthy"}}}),
        (
            {"logging": {"driver": "json-file", "options": {"max-size": "1m"}}},
            {"logging": {"driver": "syslog"}},
            {},
            {"logging": {"driver": "syslog"}},
        ),
    ],
)  # fmt: skip
def test_compose_merge_rules(base, override, tags, merged):
    assert merge_service(base, override, tags) == merged


# Overlays ---------------------------------------------------------------------------------------


def test_an_overlay_is_judged_merged_onto_its_base_not_alone(tmp_path):
    write(
        tmp_path,
        {"compose.yml": HEALTHY_WEB, "compose.prod.yml": "services:\n  web:\n    ports: ['8000:8000']\n"},
    )
    project = build_project(tmp_path)
    overlay = next(u for u in project.compose_units if u.path == "compose.prod.yml")
    assert overlay.overlay_of == ["compose.yml"]
    assert overlay.services["web"].data["image"] == "app:1.2"
    assert result(tmp_path, "compose.healthchecks").status == Status.PASS
    assert result(tmp_path, "compose.restart_policy").status == Status.PASS


def test_overlay_findings_point_at_the_file_that_sets_the_key(tmp_path):
    write(
        tmp_path,
        {
            "compose.yml": HEALTHY_WEB,
            "compose.prod.yml": "services:\n  web:\n    restart: 'no'\n    healthcheck: !reset {}\n",
        },
    )
    restart = result(tmp_path, "compose.restart_policy")
    assert restart.status == Status.FAIL
    assert places(restart.evidence) == [("compose.prod.yml", 3)]
    health = result(tmp_path, "compose.healthchecks")
    assert health.status == Status.FAIL
    assert places(health.evidence) == [("compose.prod.yml", 2)]
    assert health.evidence[0].message == "web: no healthcheck"


def test_override_tag_replaces_the_base_value_in_the_merged_project(tmp_path):
    write(
        tmp_path,
        {
            "compose.yml": "services:\n  db:\n    image: postgres:16\n    ports: ['5432:5432']\n",
            "compose.prod.yml": "services:\n  db:\n    ports: !override ['127.0.0.1:5432:5432']\n",
        },
    )
    project = build_project(tmp_path)
    overlay = next(u for u in project.compose_units if u.path == "compose.prod.yml")
    assert overlay.services["db"].data["ports"] == ["127.0.0.1:5432:5432"]
    # The base alone still publishes on all interfaces, and it is a production file of its own.
    assert places(result(tmp_path, "compose.db_ports_private").evidence) == [("compose.yml", 4)]


def test_overlays_in_a_subfolder_merge_onto_the_parent_folder_and_resolve_paths_there(tmp_path):
    write(
        tmp_path,
        {
            "compose.yaml": "services:\n  backend:\n    build: .\n    restart: always\n",
            "Dockerfile": 'FROM python:3.12-slim\nUSER app\nCMD ["gunicorn", "app:app"]\n',
            "overrides/compose.mariadb.yaml": (
                "services:\n  backend:\n    depends_on: [db]\n"
                "  db:\n    image: mariadb:11.4\n    restart: always\n    volumes: [db-data:/var/lib/mysql]\n"
                "volumes:\n  db-data:\n"
            ),
        },
    )
    project = build_project(tmp_path)
    overlay = next(u for u in project.compose_units if u.path == "overrides/compose.mariadb.yaml")
    assert overlay.overlay_of == ["compose.yaml"]
    assert overlay.services["backend"].build.context == ""
    assert overlay.services["backend"].dockerfile is project.dockerfile("Dockerfile")
    # backend is judged with its base's build and restart policy, not as a bare depends_on.
    restart = result(tmp_path, "compose.restart_policy")
    assert restart.status == Status.PASS


def test_an_overlay_changing_the_build_target_decides_the_final_stage(tmp_path):
    write(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  web:\n    build: .\n",
            "docker-compose.prod.yml": "services:\n  web:\n    build:\n      target: prod\n",
            "Dockerfile": "FROM python:3.12-slim AS prod\nUSER app\nFROM prod AS debug\nUSER root\n",
        },
    )
    evidence = result(tmp_path, "dockerfile.non_root_user").evidence
    # The base builds the last stage (root); the production overlay builds `prod` (user app).
    assert places(evidence) == [("Dockerfile", 4)]


def test_overlays_that_only_name_each_other_terminate_and_are_judged_as_written(tmp_path):
    write(
        tmp_path,
        {
            "compose.a.yml": "services:\n  web:\n    restart: always\n",
            "compose.b.yml": "services:\n  web:\n    ports: ['80:80']\n",
        },
    )
    project = build_project(tmp_path)
    assert [u.overlay_of for u in project.compose_units] == [[], []]
    assert result(tmp_path, "compose.restart_policy").status == Status.FAIL


def test_a_chain_of_overlays_onto_overlays_is_bounded(tmp_path):
    files = {"compose.yml": "services:\n  s0:\n    image: a:1\n"}
    for i in range(1, 30):
        files[f"compose.{i}.yml"] = f"services:\n  s{i - 1}:\n    restart: always\n  s{i}:\n    image: a:1\n"
    write(tmp_path, files)
    project = build_project(tmp_path)
    assert len(project.compose_units) == 30
    assert all(len(u.overlay_of) <= 7 for u in project.compose_units)


# include: ---------------------------------------------------------------------------------------


def test_a_file_is_judged_with_the_files_it_includes(tmp_path):
    write(
        tmp_path,
        {
            "compose.yaml": (
                "include:\n  - infra/db.yaml\nservices:\n  web:\n    image: app:1\n    depends_on: [db]\n"
            ),
            "infra/db.yaml": (
                "services:\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [CMD, pg_isready]\n"
            ),
        },
    )
    project = build_project(tmp_path)
    assert "infra/db.yaml" in [c.path for c in project.compose_files]
    unit = next(u for u in project.compose_units if u.path == "compose.yaml")
    assert set(unit.services) == {"web", "db"}
    depends = result(tmp_path, "compose.depends_on_healthy")
    assert depends.status == Status.FAIL
    assert places(depends.evidence) == [("compose.yaml", 6)]


def test_include_outside_the_root_is_not_read(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("services:\n  leak:\n    image: secret:1\n")
    root = write(tmp_path / "repo", {"compose.yaml": "include:\n  - ../outside.yaml\n" + HEALTHY_WEB})
    report = analyze(root)
    assert [(s.file, s.reason) for s in report.skipped] == [
        ("../outside.yaml", "included by compose.yaml but outside the scanned root; not read")
    ]
    dumped = str(report.as_dict())
    assert "leak" not in dumped and "secret:1" not in dumped


def test_an_include_cycle_is_a_compose_error_not_a_hang(tmp_path):
    write(
        tmp_path,
        {
            "compose.yaml": "include:\n  - other.yaml\n",
            "other.yaml": "include:\n  - compose.yaml\nservices:\n  web:\n    image: app:1\n",
        },
    )
    valid = result(tmp_path, "compose.valid")
    assert valid.status == Status.FAIL
    assert any("include cycle" in e.message for e in valid.evidence)


def test_a_missing_included_file_is_reported(tmp_path):
    write(tmp_path, {"compose.yaml": "include:\n  - nowhere.yaml\n" + "services:\n  web:\n    image: a:1\n"})
    valid = result(tmp_path, "compose.valid")
    assert valid.status == Status.FAIL
    assert [(e.file, e.line, e.message) for e in valid.evidence] == [
        ("compose.yaml", 2, "include[0]: nowhere.yaml does not exist")
    ]


# Development files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "ci/docker-compose.yml",
        ".ci/compose.yaml",
        "e2e/docker-compose.yml",
        "cypress/docker-compose.yml",
        "examples/basic/compose.yaml",
        "example/compose.yaml",
        "tests/compose.yaml",
        "docker-compose.ci.yml",
        "docker-compose.test.yaml",
        "compose.dev.yml",
    ],
)
def test_development_compose_files_do_not_decide(tmp_path, rel):
    write(tmp_path, {rel: "services:\n  web:\n    image: app:1\n"})
    restart = result(tmp_path, "compose.restart_policy")
    assert restart.status == Status.NA
    assert [e.file for e in restart.dev_evidence] == [rel]


@pytest.mark.parametrize("rel", ["ci/Dockerfile", "cypress/Dockerfile", "examples/app/Dockerfile"])
def test_development_dockerfiles_do_not_decide(tmp_path, rel):
    write(tmp_path, {rel: "FROM alpine:3.20\nCMD run\n"})
    assert result(tmp_path, "dockerfile.exec_form").status == Status.NA


def test_folders_merely_containing_a_dev_word_part_stay_production(tmp_path):
    write(tmp_path, {"circus/compose.yaml": "services:\n  web:\n    image: app:1\n"})
    assert result(tmp_path, "compose.restart_policy").status == Status.FAIL


# Templates --------------------------------------------------------------------------------------


def test_a_template_is_reported_once_under_compose_valid_and_judged_by_nothing_else(tmp_path):
    write(
        tmp_path,
        {
            "compose.yml": HEALTHY_WEB,
            "deploy/docker-compose.yml": (
                'services:\n  web:\n    image: "{{ registry }}/app:{{ version }}"\n'
                "{% if with_db %}\n  db:\n    image: postgres\n{% endif %}\n"
            ),
        },
    )
    report = analyze(tmp_path)
    valid = report.result("compose.valid")
    assert valid.status == Status.PASS
    templates = [e for e in valid.evidence if "template" in e.message]
    assert [(e.file, e.line) for e in templates] == [("deploy/docker-compose.yml", 4)]
    mentions = [
        (r.id, e.file) for r in report.results for e in r.evidence + r.dev_evidence
        if e.file == "deploy/docker-compose.yml" and r.id != "compose.valid"
    ]  # fmt: skip
    assert mentions == []


def test_go_templates_in_compose_values_are_not_jinja(tmp_path):
    write(
        tmp_path,
        {
            "compose.yml": HEALTHY_WEB
            + "    logging:\n      options:\n        tag: '{{.Name}}'\n"
            + "  probe:\n    image: docker:27\n    command: docker inspect --format '{{json .State}}' web\n"
        },
    )
    valid = result(tmp_path, "compose.valid")
    assert valid.status == Status.PASS
    assert all("template" not in e.message for e in valid.evidence)


def test_a_dockerfile_template_is_listed_as_skipped_and_judged_by_nothing(tmp_path):
    write(
        tmp_path,
        {
            "compose.yml": "services:\n  web:\n    build: .\n",
            "Dockerfile": (
                "FROM python:3.12-slim\n{% if use_celery %}\nRUN pip install celery\n{% endif %}\nUSER app\n"
            ),
            "docker/Dockerfile": "FROM alpine:3.20\nRUN docker inspect --format '{{.Name}}' x\nUSER app\n",
        },
    )
    report = analyze(tmp_path)
    skipped = [s for s in report.skipped if s.file == "Dockerfile"]
    assert len(skipped) == 1 and "template" in skipped[0].reason and "(line 2)" in skipped[0].reason
    mentions = {r.id for r in report.results for e in r.evidence + r.dev_evidence if e.file == "Dockerfile"}
    assert mentions == set()
    assert report.result("dockerfile.non_root_user").status == Status.PASS  # docker/Dockerfile: Go template


@pytest.mark.parametrize(
    ("text", "is_template"),
    [
        ("FROM postgres:{{ cookiecutter.database_version.lower().split('@')[1] }}", True),
        ("ports: ['{{ item.port | default(80) }}:80']", True),
        ("{%- if use_celery %}", True),
        ("tag: '{{.Name}}'", False),
        ("docker inspect --format '{{json .State}}' web", False),
        ("run: echo ${{ matrix.python }}", False),
    ],
)
def test_jinja_is_told_from_go_templates_and_github_expressions(text, is_template):
    from readiness.engine.templates import template_mark

    assert (template_mark(text) is not None) is is_template


# One unreadable file ----------------------------------------------------------------------------


def test_one_unreadable_file_decides_only_its_own_results(tmp_path):
    write(tmp_path, {"compose.yml": HEALTHY_WEB, "docker-compose.prod.yml": "services:\n  web: [\n"})
    report = analyze(tmp_path)
    assert report.result("compose.valid").status == Status.ERROR
    healthchecks = report.result("compose.healthchecks")
    assert healthchecks.status == Status.PASS
    assert "docker-compose.prod.yml" in [e.file for e in healthchecks.evidence]
    assert report.result("compose.dev_override").status != Status.ERROR


def test_a_check_is_error_only_when_no_file_it_applies_to_could_be_read(tmp_path):
    write(tmp_path, {"docker-compose.prod.yml": "services:\n  web: [\n"})
    assert result(tmp_path, "compose.healthchecks").status == Status.ERROR
