"""ci.parse_ci and the ci.* checks over tests/engine/fixtures/<check id>/<case>/."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.engine import analyze
from readiness.engine.checks.ci import IMAGE_BUILDS, LINTS, SECURITY_SCANS, TESTS, runs
from readiness.engine.ci import parse_ci
from readiness.engine.model import Status
from readiness.engine.registry import all_checks

FIXTURES = Path(__file__).parent / "fixtures"


def analyze_one(check_id: str, root: Path):
    return analyze(root, only=[check_id]).result(check_id)


# (check id, case folder, status, the (file, line) of every evidence item)
CASES = [
    ("ci.pipeline_present", "pass", Status.PASS, [(".gitlab-ci.yml", None)]),
    ("ci.pipeline_present", "fail", Status.FAIL, [("", None)]),
    ("ci.runs_tests", "pass", Status.PASS, [(".github/workflows/ci.yml", 18)]),
    ("ci.runs_tests", "fail", Status.FAIL, [(".github/workflows/deploy.yml", None)]),
    ("ci.runs_tests", "fail_none", Status.FAIL, [("", None)]),
    ("ci.runs_tests", "error", Status.ERROR, [(".github/workflows/ci.yml", None)]),
    ("ci.lints", "pass", Status.PASS, [("Jenkinsfile", 6)]),
    ("ci.lints", "fail", Status.FAIL, [("Jenkinsfile", None)]),
    ("ci.security_scan", "pass", Status.PASS, [(".circleci/config.yml", 11)]),
    ("ci.security_scan", "fail", Status.FAIL, [("bitbucket-pipelines.yml", None)]),
    ("ci.builds_image", "pass", Status.PASS, [("azure-pipelines.yml", 8)]),
    ("ci.builds_image", "fail", Status.FAIL, [(".gitlab-ci.yml", None)]),
    # Version 2: what a step runs one level down, its name, and na where nothing is built.
    ("ci.runs_tests", "pass_named", Status.PASS, [(".github/workflows/ci.yml", 9)]),
    ("ci.runs_tests", "pass_script", Status.PASS, [(".github/workflows/ci.yml", 7)]),
    ("ci.runs_tests", "pass_make", Status.PASS, [(".gitlab-ci.yml", 5)]),
    ("ci.runs_tests", "pass_local_action", Status.PASS, [(".github/workflows/ci.yml", 7)]),
    ("ci.runs_tests", "pass_package_script", Status.PASS, [("bitbucket-pipelines.yml", 6)]),
    ("ci.builds_image", "pass_script", Status.PASS, [(".github/workflows/release.yml", 7)]),
    ("ci.builds_image", "na", Status.NA, [("", None)]),
    ("ci.actions_pinned", "pass", Status.PASS, [(".github/workflows/ci.yml", None)]),
    (
        "ci.actions_pinned",
        "fail",
        Status.WARN,
        [(".github/workflows/ci.yml", 7), (".github/workflows/ci.yml", 8), (".github/workflows/ci.yml", 10)],
    ),
    ("ci.actions_pinned", "na", Status.NA, []),
]


@pytest.mark.parametrize(
    ("check_id", "case", "status", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_check_over_fixture(check_id, case, status, expected):
    result = analyze_one(check_id, FIXTURES / check_id / case)
    assert result.status == status, result.evidence
    assert [(e.file, e.line) for e in result.evidence] == expected, result.evidence
    assert all(e.message for e in result.evidence)


def test_every_ci_check_has_passing_and_failing_fixture():
    ids = {meta.id for meta, _ in all_checks() if meta.id.startswith("ci.")}
    assert ids == {
        "ci.pipeline_present", "ci.runs_tests", "ci.lints", "ci.security_scan", "ci.builds_image",
        "ci.actions_pinned",
    }  # fmt: skip
    covered = {(c[0], c[2]) for c in CASES}
    for check_id in ids:
        assert (check_id, Status.PASS) in covered, check_id
        assert {(check_id, Status.FAIL), (check_id, Status.WARN)} & covered, check_id


@pytest.mark.parametrize("check_id", ["ci.runs_tests", "ci.lints", "ci.security_scan", "ci.builds_image"])
def test_no_pipeline_fails_and_is_never_na(check_id, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")  # something to build, for ci.builds_image
    assert analyze_one(check_id, tmp_path).status == Status.FAIL


def test_a_match_in_one_file_passes_despite_an_unreadable_one(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text("jobs: [\n")
    (workflows / "test.yml").write_text("on: push\njobs:\n  t:\n    steps:\n      - run: go test ./...\n")
    result = analyze_one("ci.runs_tests", tmp_path)
    assert result.status == Status.PASS
    assert [(e.file, e.line) for e in result.evidence] == [
        (".github/workflows/test.yml", 5),
        (".github/workflows/broken.yml", None),
    ]
    assert result.evidence[1].message.startswith("could not be read: invalid YAML")


def test_an_unreadable_file_decides_only_when_no_pipeline_file_could_be_read(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text("jobs: [\n")
    assert analyze_one("ci.runs_tests", tmp_path).status == Status.ERROR
    (workflows / "deploy.yml").write_text("on: push\njobs:\n  d:\n    steps:\n      - run: ./deploy.sh\n")
    result = analyze_one("ci.runs_tests", tmp_path)
    assert result.status == Status.FAIL
    assert (result.evidence[0].file, result.evidence[0].message) == (
        ".github/workflows/deploy.yml",
        "no step runs tests",
    )


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("Run tests", True),
        ("Test", True),
        ("unit-tests (py3.12)", True),
        ("Build and test", True),
        ("Upload test results", False),
        ("Set up test database", False),
        ("Build test image", False),
        ("run specs", True),
        ("Deploy", False),
    ],
)
def test_step_names_that_count_as_running_tests(tmp_path, name, counts):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        f"on: push\njobs:\n  j:\n    steps:\n      - name: {name}\n        run: ./go\n"
    )
    assert analyze_one("ci.runs_tests", tmp_path).status == (Status.PASS if counts else Status.FAIL)


def test_matrix_values_expand_into_the_commands_a_step_runs(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (tmp_path / "build.sh").write_text("#!/bin/sh\ndocker build -t app .\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  lint:\n    runs-on: x\n    steps:\n      - run: ${{ matrix.cmd }}\n"
        "  build:\n    strategy:\n      matrix:\n        cmd: [./prepare.sh, ./build.sh main]\n"
        "    steps:\n      - run: ${{ matrix.cmd }}\n"
    )
    result = analyze_one("ci.builds_image", tmp_path)
    assert result.status == Status.PASS
    assert [(e.file, e.line) for e in result.evidence] == [(".github/workflows/ci.yml", 12)]
    assert "build.sh:2" in result.evidence[0].message


def test_actions_of_the_repository_itself_need_no_pin(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  j:\n    steps:\n      - uses: ./.github/actions/setup\n"
        "      - uses: $/.github/actions/apt-install\n"
    )
    assert analyze_one("ci.actions_pinned", tmp_path).status == Status.PASS


def test_a_pinned_sha_followed_by_its_version_comment_is_pinned_in_a_local_action(tmp_path):
    """``action.yml`` is no pipeline path: read as raw lines, ``uses: x@<sha>  # v1`` kept its comment
    and warned, and ``- uses: x@v1`` (a list item) was never checked."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  j:\n    steps:\n      - uses: ./\n"
    )
    action = tmp_path / "action.yml"
    pinned = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"
    action.write_text(
        "runs:\n  using: composite\n  steps:\n"
        f"    - name: Set up Python\n      uses: {pinned}  # v5.6.0\n"
        f"    - uses: {pinned} # v5.6.0\n"
    )
    result = analyze_one("ci.actions_pinned", tmp_path)
    assert result.status == Status.PASS, result.evidence
    assert result.evidence[0].message == "3 actions checked, all pinned"

    action.write_text(action.read_text() + "    - uses: actions/cache@v4  # v4\n")
    result = analyze_one("ci.actions_pinned", tmp_path)
    assert result.status == Status.WARN
    assert [(e.file, e.line, e.message) for e in result.evidence] == [
        (
            ".github/workflows/ci.yml",
            5,
            "uses actions/cache@v4: a tag or branch can move; pin the commit SHA (in action.yml)",
        )
    ]


def test_scripts_are_read_one_level_deep_and_never_outside_the_root(tmp_path):
    outside = tmp_path / "outside.sh"
    outside.write_text("pytest\n")
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "ci").mkdir()
    (root / "ci" / "a.sh").write_text("./ci/b.sh\n")  # b.sh would be a second level
    (root / "ci" / "b.sh").write_text("pytest\n")
    (root / "link.sh").symlink_to(outside)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  j:\n    steps:\n      - run: ./ci/a.sh\n      - run: ../outside.sh\n"
        "      - run: ./link.sh\n"
    )
    assert analyze_one("ci.runs_tests", root).status == Status.FAIL


# Parsing --------------------------------------------------------------------------------------


def test_github_workflow_commands_and_lines():
    text = (
        "name: CI\n"
        "on:\n"
        "  push:\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: |\n"
        "          pip install .\n"
        "\n"
        "          pytest -q\n"
        "      - uses: docker/build-push-action@v6\n"
        "        with:\n"
        "          push: false\n"
    )
    ci = parse_ci(".github/workflows/ci.yml", text.encode(), None)
    assert (ci.kind, ci.error) == ("github", None)
    assert ci.commands == [
        ("uses: actions/checkout@v4", 8),
        ("pip install .", 10),
        ("pytest -q", 12),
        ("uses: docker/build-push-action@v6", 13),
    ]


def test_yaml_11_on_key_is_harmless():
    # PyYAML's YAML 1.1 would load `on:` as True; the loader keeps it as "on".
    ci = parse_ci(
        ".github/workflows/ci.yml", b"on: [push]\njobs:\n  a:\n    steps:\n      - run: tox\n", None
    )
    assert ci.commands == [("tox", 5)]


def test_gitlab_scripts_and_includes():
    text = (
        "include:\n"
        "  - template: Jobs/Dependency-Scanning.gitlab-ci.yml\n"
        "build:\n"
        "  image: gcr.io/kaniko-project/executor:debug\n"
        "  before_script: [echo hi]\n"
        "  script:\n"
        "    - /kaniko/executor --context . --destination $IMAGE\n"
    )
    ci = parse_ci(".gitlab-ci.yml", text.encode(), None)
    assert ci.kind == "gitlab"
    commands = dict(ci.commands)
    assert commands["template: Jobs/Dependency-Scanning.gitlab-ci.yml"] == 2
    assert commands["/kaniko/executor --context . --destination $IMAGE"] == 7
    assert commands["echo hi"] == 5


def test_circleci_orb_steps():
    text = (
        "version: 2.1\n"
        "orbs:\n"
        "  docker: circleci/docker@2.8.1\n"
        "jobs:\n"
        "  build:\n"
        "    steps:\n"
        "      - checkout\n"
        "      - docker/build:\n"
        "          image: acme/app\n"
    )
    ci = parse_ci(".circleci/config.yml", text.encode(), None)
    assert ("steps: docker/build", 8) in ci.commands
    assert any(IMAGE_BUILDS.search(command) for command, _ in ci.commands)


def test_jenkinsfile_sh_blocks_and_plain_text():
    text = (
        "pipeline {\n"
        "  stages {\n"
        "    stage('t') {\n"
        "      steps {\n"
        "        sh 'npm test'\n"
        '        sh """\n'
        "          trivy image app\n"
        '        """\n'
        "      }\n"
        "    }\n"
        "  }\n"
        "}\n"
    )
    ci = parse_ci("ci/Jenkinsfile", text.encode(), None)
    assert ci.kind == "jenkins"
    assert ("npm test", 5) in ci.commands
    assert ("trivy image app", 7) in ci.commands


@pytest.mark.parametrize(
    ("rel", "raw", "error", "reason"),
    [
        (".gitlab-ci.yml", None, "is a symlink; links are not followed", "symlink"),
        (".gitlab-ci.yml", b"- a\n- b\n", None, "not a mapping"),
        ("azure-pipelines.yml", b"steps: [\n", None, "invalid YAML"),
        (".circleci/config.yml", b"a: &a [*a]\n", None, "refers to itself"),
        ("Jenkinsfile", b"\xff\xfe", None, "UTF-8"),
    ],
)
def test_unreadable_ci_files_carry_the_reason(rel, raw, error, reason):
    ci = parse_ci(rel, raw, error)
    assert reason in ci.error
    assert ci.commands == []


@pytest.mark.parametrize(
    ("pattern", "command", "matches"),
    [
        (TESTS, "python -m pytest -q", True),
        (TESTS, "npm run test", True),
        (TESTS, "./mvnw -B verify", True),
        (TESTS, "make -C backend test", True),
        (TESTS, "npm run build", False),
        (LINTS, "black --check .", True),
        (LINTS, "black .", False),
        (LINTS, "uses: hadolint/hadolint-action@v3.1.0", True),
        (LINTS, "npx prettier --check .", True),
        (LINTS, "uses: j178/prek-action@0bb87d7f00b0c99306c8bcb8b8beba1eb581c037", True),
        (SECURITY_SCANS, "uses: aquasecurity/trivy-action@0.28.0", True),
        (SECURITY_SCANS, "docker scout cves app:1", True),
        (SECURITY_SCANS, "npm audit --audit-level=high", True),
        (SECURITY_SCANS, "npm install", False),
        (IMAGE_BUILDS, "docker buildx build --push -t app .", True),
        (IMAGE_BUILDS, "docker compose -f compose.yaml build", True),
        (IMAGE_BUILDS, "buildah bud -t app .", True),
        (IMAGE_BUILDS, "docker push app:1", False),
        (IMAGE_BUILDS, "uses: docker/setup-buildx-action@v3", False),
        (IMAGE_BUILDS, "uses: redhat-actions/buildah-build@v2", True),
        (IMAGE_BUILDS, "uses: acme/build-push-action@v1", True),
        (IMAGE_BUILDS, "docker buildx bake --push", True),
        (TESTS, "npx playwright test --project=chromium", True),
        (TESTS, "helm unittest charts/app", True),
        (TESTS, "bats tests/", True),
        (TESTS, "vendor/bin/phpunit", True),
        (TESTS, "bundle exec rspec", True),
    ],
)
def test_command_patterns(pattern, command, matches):
    assert bool(pattern.search(command)) is matches


@pytest.mark.parametrize(
    ("pattern", "command", "runs_it"),
    [
        (LINTS, "python -m pip install black==23.1.0 ruff==0.16.9", False),
        (LINTS, "pip install -U pre-commit", False),
        (LINTS, "pip install ruff && ruff check .", True),
        (LINTS, "npm ci && npm run lint", True),
        (LINTS, "sudo apt-get install -y shellcheck", False),
        (TESTS, "pip install pytest pytest-cov", False),
        (TESTS, "uv tool install tox; tox -e py312", True),
        (SECURITY_SCANS, "pipx install pip-audit", False),
        (SECURITY_SCANS, "pip-audit -r requirements.txt", True),
    ],
)
def test_installing_a_tool_is_not_running_it(pattern, command, runs_it):
    assert runs(pattern, command) is runs_it


def test_the_evidence_is_the_step_that_runs_the_linter_not_the_one_installing_it(tmp_path):
    workflow = tmp_path / ".github" / "workflows" / "lint.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: python -m pip install black ruff\n"
        "      - run: ruff check .\n"
    )
    result = analyze_one("ci.lints", tmp_path)
    assert result.status == Status.PASS
    assert [(e.file, e.line) for e in result.evidence] == [(".github/workflows/lint.yml", 7)]


def test_compose_and_ci_checks_carry_what_a_user_needs():
    metas = [meta for meta, _ in all_checks() if meta.id.startswith(("compose.", "ci."))]
    assert len(metas) == 29
    for meta in metas:
        assert meta.title and meta.description and meta.remediation, meta.id
        assert not meta.remediation.startswith(" "), meta.id  # pasteable, not indented
