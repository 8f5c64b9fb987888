"""`python -m readiness` as a subprocess: exit codes, one-line errors, formats, no Django needed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def cli(*args, env=None, python_flags=()):
    # DJANGO_SETTINGS_MODULE is unset and no database exists: the CLI must not need either.
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "readiness", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "Dockerfile").write_text('FROM python:3.12-slim\nUSER app\nCMD ["gunicorn", "app:app"]\n')
    (tmp_path / "compose.yml").write_text("services:\n  web:\n    build: .\n    restart: unless-stopped\n")
    return tmp_path


def test_help_is_helpful():
    top = cli("--help")
    assert top.returncode == 0 and "scan" in top.stdout and "catalog" in top.stdout
    scan = cli("scan", "--help")
    assert scan.returncode == 0
    for option in (
        "--format",
        "--fail-under",
        "--only",
        "--skip",
        "--with-hadolint",
        "--output",
        "exit codes",
    ):
        assert option in scan.stdout


def test_text_scan_ends_with_the_score(project):
    result = cli("scan", str(project))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1].startswith("Check score ")
    assert "\033[" not in result.stdout  # not a TTY: no colour


def test_json_scan_has_the_documented_fields(project):
    result = cli("scan", str(project), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"version", "path", "score", "categories", "checks", "skipped"} <= set(data)
    check = data["checks"][0]
    assert {"id", "title", "category", "status", "severity", "evidence", "remediation"} <= set(check)
    assert all({"id", "title", "score"} <= set(c) for c in data["categories"])
    assert "lint" not in data


def test_sarif_scan_to_a_file(project, tmp_path):
    out = tmp_path / "out" / "readiness.sarif"
    out.parent.mkdir()
    result = cli("scan", str(project), "--format", "sarif", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_fail_under_exits_one_with_a_line(project):
    result = cli("scan", str(project), "--only", "health", "--skip", "health.uptime", "--fail-under", "5")
    # Health facts never reach the CLI, so every health check is na: no score, which fails a gate.
    assert result.returncode == 1
    assert result.stderr == "readiness: no check score (no check applied) is under the required 5\n"


def test_config_fail_under_is_a_gate_too(project):
    (project / ".readiness.yml").write_text("fail_under: 10\n")
    result = cli("scan", str(project), "--only", "health")
    assert result.returncode == 1 and "under the required 10" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "{missing}"], "readiness: error: {missing}: no such directory"),
        (["scan", "{file}"], "readiness: error: {file}: not a directory"),
        (
            ["scan", "{root}", "--only", "dockerfile.nope"],
            "readiness: error: unknown check id 'dockerfile.nope' in --only",
        ),
        (
            ["scan", "{root}", "--skip", "health.uptime,bogus"],
            "readiness: error: unknown check id 'bogus' in --skip",
        ),
        (
            ["scan", "{root}", "--fail-under", "ten"],
            "readiness: error: argument --fail-under: must be a number from 0 to 10",
        ),
        (
            ["scan", "{root}", "--fail-under", "-1"],
            "readiness: error: argument --fail-under: must be a number",
        ),
        (["scan", "{root}", "--format", "xml"], "readiness: error: argument --format: invalid choice"),
        (
            ["scan", "{root}", "--output", "{missing}/out.json"],
            "readiness: error: cannot write {missing}/out.json",
        ),
        (["scan"], "readiness: error: the following arguments are required: PATH"),
        ([], "readiness: error: the following arguments are required: COMMAND"),
        (["frobnicate"], "readiness: error: argument COMMAND: invalid choice"),
    ],
)
def test_usage_and_io_errors_exit_two_with_one_line(project, tmp_path, args, message):
    names = {"root": project, "missing": tmp_path / "missing", "file": project / "Dockerfile"}
    args = [a.format(**names) for a in args]
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(message.format(**names)), result.stderr


def test_only_and_skip_select_checks(project):
    data = json.loads(
        cli("scan", str(project), "--format", "json", "--only", "health", "--skip", "health.uptime").stdout
    )
    ids = {check["id"] for check in data["checks"]}
    assert ids and all(i.startswith("health.") for i in ids) and "health.uptime" not in ids


def test_with_hadolint_adds_an_unscored_lint_section(project):
    plain = json.loads(cli("scan", str(project), "--format", "json").stdout)
    result = cli("scan", str(project), "--format", "json", "--with-hadolint")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["lint"]["tool"] == "hadolint"
    assert all(
        {"file", "line", "code", "level", "message", "check"} <= set(f) for f in data["lint"]["findings"]
    )
    assert data["score"] == plain["score"]
    text = cli("scan", str(project), "--with-hadolint").stdout
    assert "Lint: hadolint" in text and "(not scored)" in text


def test_catalog_prints_every_check():
    result = cli("catalog", "--format", "json")
    assert result.returncode == 0
    ids = [c["id"] for c in json.loads(result.stdout)["checks"]]
    assert "health.tls_valid" in ids and len(ids) == len(set(ids))
    assert '<a id="health.tls_valid"></a>' in cli("catalog").stdout


def test_the_cli_imports_no_django(project):
    traced = cli("scan", str(project), "--format", "json", python_flags=("-X", "importtime"))
    assert traced.returncode == 0
    imported = {
        line.split("|")[-1].strip().split(".")[0] for line in traced.stderr.splitlines() if "|" in line
    }
    assert "readiness" in imported and "yaml" in imported  # the trace works
    assert not imported & {"django", "celery", "psycopg", "httpx"}


def test_a_local_scan_honours_gitignore(project):
    # `make run` keeps its demo checkouts under var/, which .gitignore lists: a scan of . skips them.
    (project / ".gitignore").write_text("var/\n")
    (project / "var" / "demo").mkdir(parents=True)
    (project / "var" / "demo" / "Dockerfile").write_text("FROM python:latest\n")
    result = cli("scan", str(project), "--format", "json")
    files = {e["file"] for c in json.loads(result.stdout)["checks"] for e in c["evidence"]}
    assert "Dockerfile" in files and not any(f.startswith("var/") for f in files)
