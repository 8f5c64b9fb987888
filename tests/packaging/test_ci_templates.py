"""The GitHub Action (action.yml) and the GitLab CI template (ci/readiness.gitlab-ci.yml): valid
against the platforms' own schemas, and their scripts run for real against the installed wheel
(the same shell they would run in CI; only the platform's files are stand-ins in a tmp folder)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "tests" / "schemas"
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
GITLAB = yaml.safe_load((REPO / "ci" / "readiness.gitlab-ci.yml").read_text())

pytestmark = pytest.mark.packaging


def test_the_action_is_valid_github_action_metadata():
    schema = json.loads((SCHEMAS / "github-action.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(ACTION), key=str)
    assert errors == [], [e.message for e in errors]
    assert ACTION["runs"]["using"] == "composite"
    # Every input is described and has a default: the action runs with none given.
    for name, spec in ACTION["inputs"].items():
        assert spec["description"] and "default" in spec and spec.get("required") is False, name
    uses = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    # Pinned by commit, as the project's own workflows are (a tag can be moved).
    assert all(len(u.split("@")[1]) == 40 for u in uses), uses


def test_the_gitlab_template_is_valid_gitlab_ci():
    schema = json.loads((SCHEMAS / "gitlab-ci.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(GITLAB), key=str)
    assert errors == [], [e.message for e in errors]
    assert GITLAB["readiness"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"


@pytest.fixture
def repository(tmp_path) -> Path:
    root = tmp_path / "service"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install flask\nCMD python app.py\n")
    return root


def environment(installed, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    env["PATH"] = f"{installed.venv / 'bin'}{os.pathsep}{env['PATH']}"
    env.update(extra)
    return env


def step(name: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def run_action_scan(installed, repository, tmp_path, **inputs) -> tuple[int, dict, str]:
    outputs, summary = tmp_path / "github_output", tmp_path / "step_summary"
    outputs.write_text("")
    summary.write_text("")
    env = environment(
        installed,
        SCAN_PATH=".",
        FAIL_UNDER=inputs.get("fail_under", ""),
        BASELINE=inputs.get("baseline", ""),
        SUMMARY="true",
        GITHUB_OUTPUT=str(outputs),
        GITHUB_STEP_SUMMARY=str(summary),
        RUNNER_TEMP=str(tmp_path / "runner"),
    )
    done = subprocess.run(
        ["bash", "-e", "-c", step("Scan")["run"]], cwd=repository, env=env, capture_output=True, text=True
    )
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return done.returncode, values, summary.read_text()


def test_the_action_scans_writes_the_summary_and_sarif_and_records_the_gate(installed, repository, tmp_path):
    code, outputs, summary = run_action_scan(installed, repository, tmp_path)
    assert code == 0  # the Scan step never fails itself: the upload must still run
    assert outputs["exit-code"] == "0"
    assert float(outputs["score"]) < 9
    assert "| Category | Before | After | Status |" in summary and "#### Findings (" in summary
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]

    code, outputs, _ = run_action_scan(installed, repository, tmp_path, fail_under="9")
    assert code == 0 and outputs["exit-code"] == "1"
    assert "is under the required 9" in outputs["message"]
    gate = subprocess.run(
        ["bash", "-e", "-c", step("Gate")["run"]],
        env=environment(installed, EXIT_CODE=outputs["exit-code"], MESSAGE=outputs["message"]),
        capture_output=True,
        text=True,
    )
    assert gate.returncode == 1 and "::error title=Readiness::" in gate.stdout


def test_the_action_with_a_baseline_fails_only_on_new_findings(installed, repository, tmp_path):
    subprocess.run(
        [installed.script, "baseline", "write", "."], cwd=repository, check=True, env=environment(installed)
    )
    _, outputs, summary = run_action_scan(
        installed, repository, tmp_path, baseline=".readiness-baseline.json"
    )
    assert (outputs["exit-code"], outputs["new-findings"]) == ("0", "0")
    assert "#### New since the baseline (0;" in summary
    (repository / "worker").mkdir()
    (repository / "worker" / "Dockerfile").write_text("FROM python:latest\n")
    _, outputs, summary = run_action_scan(
        installed, repository, tmp_path, baseline=".readiness-baseline.json"
    )
    assert outputs["exit-code"] == "1" and int(outputs["new-findings"]) > 0
    assert "`worker/Dockerfile:1`" in summary


def test_the_gitlab_job_writes_a_code_quality_report_and_gates(installed, repository):
    job = GITLAB["readiness"]
    env = environment(installed, **{**job["variables"], "READINESS_PACKAGE": "", "READINESS_FAIL_UNDER": "9"})
    script = "\n".join(job["script"])
    done = subprocess.run(["sh", "-e", "-c", script], cwd=repository, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "is under the required 9" in done.stderr
    issues = json.loads((repository / "gl-code-quality-report.json").read_text())
    assert issues
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert "| Category | Before | After | Status |" in (repository / "readiness.md").read_text()
    after = subprocess.run(
        ["sh", "-c", "\n".join(job["after_script"])], cwd=repository, env=env, capture_output=True, text=True
    )
    assert "### Readiness of ." in after.stdout
