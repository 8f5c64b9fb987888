"""Baselines: fingerprints that survive line moves, `scan --baseline` failing only on new findings,
the Markdown report, and bad input (one line on stderr naming the file, exit 2, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness import __version__
from readiness.engine import analyze
from readiness.engine.baseline import compare, findings

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = "FROM python:3.12-slim\nRUN pip install flask\nCMD python app.py\n"


def cli(*args, cwd=REPO):
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "readiness", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environment, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "repo"
    (root / "api").mkdir(parents=True)
    (root / "api" / "Dockerfile").write_text(DOCKERFILE)
    return root


def fingerprints(root) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for finding in findings(analyze(root)):
        found.setdefault((finding.check, finding.evidence.file), []).append(finding.fingerprint)
    return found


def test_fingerprints_survive_lines_moving_and_reindenting(project):
    before = fingerprints(project)
    moved = "# a comment\n\n" + DOCKERFILE.replace("RUN pip", "RUN   pip")
    (project / "api" / "Dockerfile").write_text(moved)
    after = fingerprints(project)
    assert (
        before[("dockerfile.pip_no_cache", "api/Dockerfile")]
        == after[("dockerfile.pip_no_cache", "api/Dockerfile")]
    )
    assert (
        before[("dockerfile.exec_form", "api/Dockerfile")]
        == after[("dockerfile.exec_form", "api/Dockerfile")]
    )


def test_a_changed_line_or_another_file_is_another_fingerprint(project):
    before = fingerprints(project)[("dockerfile.exec_form", "api/Dockerfile")]
    (project / "api" / "Dockerfile").write_text(DOCKERFILE.replace("CMD python app.py", "CMD python main.py"))
    assert fingerprints(project)[("dockerfile.exec_form", "api/Dockerfile")] != before
    (project / "worker").mkdir()
    (project / "worker" / "Dockerfile").write_text(DOCKERFILE)
    both = fingerprints(project)
    assert (
        both[("dockerfile.pip_no_cache", "worker/Dockerfile")]
        != both[("dockerfile.pip_no_cache", "api/Dockerfile")]
    )


def test_fingerprints_are_in_json_and_sarif(project):
    report = json.loads(cli("scan", str(project), "--format", "json").stdout)
    (exec_form,) = [c for c in report["checks"] if c["id"] == "dockerfile.exec_form"]
    fingerprint = exec_form["evidence"][0]["fingerprint"]
    sarif = json.loads(cli("scan", str(project), "--format", "sarif").stdout)
    assert fingerprint in {
        r["partialFingerprints"]["readinessFinding/v2"] for r in sarif["runs"][0]["results"]
    }


def test_scan_with_a_baseline_fails_only_on_new_findings(project, tmp_path):
    baseline = tmp_path / "baseline.json"
    written = cli("baseline", "write", str(project), "--output", str(baseline))
    assert written.returncode == 0, written.stderr
    document = json.loads(baseline.read_text())
    assert document["engine"] == __version__ and document["findings"]
    # Unchanged, or only moved: nothing new, exit 0 even though the score is low.
    (project / ".readiness.yml").write_text("fail_under: 9\n")
    (project / "api" / "Dockerfile").write_text("# moved\n" + DOCKERFILE)
    same = cli("scan", str(project), "--baseline", str(baseline), "--format", "json")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["baseline"]["new"] == []
    # A new Dockerfile with failing checks: exit 1, and the new findings are named.
    (project / "worker").mkdir()
    (project / "worker" / "Dockerfile").write_text("FROM python:latest\n")
    worse = cli("scan", str(project), "--baseline", str(baseline), "--format", "json")
    assert worse.returncode == 1
    new = json.loads(worse.stdout)["baseline"]["new"]
    assert new and {finding["file"] for finding in new} == {"worker/Dockerfile", "worker/.dockerignore"}
    assert "new finding(s) since the baseline" in worse.stderr and len(worse.stderr.splitlines()) == 1
    # An explicit --fail-under still gates the score beside the baseline.
    assert cli("scan", str(project), "--baseline", str(baseline), "--fail-under", "1").returncode == 1


def test_a_baseline_counts_identical_findings(project):
    report = analyze(project)
    baseline = {"findings": [{"fingerprint": f.fingerprint, "check": f.check} for f in findings(report)]}
    assert compare(report, baseline, path="b").new == []
    (project / "api" / "Dockerfile").write_text(DOCKERFILE + "CMD python app.py\n")
    again = compare(analyze(project), baseline, path="b")
    assert [(f.check, f.evidence.line) for f in again.new] == [("dockerfile.exec_form", 4)]


def test_markdown_is_the_compare_table_then_the_fixes(project, tmp_path):
    baseline = tmp_path / "baseline.json"
    cli("baseline", "write", str(project), "--output", str(baseline))
    (project / "api" / "Dockerfile").write_text(DOCKERFILE.replace("3.12-slim", "latest"))
    text = cli("scan", str(project), "--baseline", str(baseline), "--format", "markdown").stdout
    assert "| Category | Before | After | Status |" in text
    assert "| **Check score** |" in text and "Regressed" in text
    assert "#### New since the baseline (" in text
    assert "`dockerfile.base_image_pinned`" in text and "<details><summary>How to fix</summary>" in text
    plain = cli("scan", str(project), "--format", "markdown")
    assert plain.returncode == 0 and "#### Findings (" in plain.stdout


def test_the_compare_export_uses_the_same_table():
    from readiness.checklists.selectors import exports
    from readiness.engine.output import markdown

    assert exports.comparison_table is markdown.comparison_table


# Bad input: one line naming the file, exit 2, no traceback -------------------------------------


def assert_one_line_error(result, *, names: str):
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("readiness: error: ") and names in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such baseline file"),
        (b"\xff\xfe not utf-8", "cannot read the baseline"),
        (b"{not json", "invalid JSON"),
        (b'{"readiness_baseline": 1}', "not a readiness baseline"),
        (
            b'{"readiness_baseline": 1, "engine": "0.0.1", "fingerprints": "v2", "findings": []}',
            "written by readiness 0.0.1",
        ),
        (
            b'{"readiness_baseline": 9, "engine": "x", "fingerprints": "v2", "findings": []}',
            "baseline format 9/v2",
        ),
    ],
)
def test_an_unusable_baseline_is_one_line_and_exit_two(project, tmp_path, content, reason):
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_bytes(content)
    result = cli("scan", str(project), "--baseline", str(baseline))
    assert_one_line_error(result, names=str(baseline))
    assert reason in result.stderr


def test_an_unreadable_baseline_is_one_line_and_exit_two(project, tmp_path):
    if os.geteuid() == 0:
        baseline = tmp_path / "folder.json"  # root reads every file: a folder cannot be read as one
        baseline.mkdir()
    else:
        baseline = tmp_path / "baseline.json"
        baseline.write_text("{}")
        baseline.chmod(0)
    assert_one_line_error(cli("scan", str(project), "--baseline", str(baseline)), names=str(baseline))


@pytest.mark.parametrize(
    "config",
    ["skip: [\n", "bogus: 1\n", "fail_under: 11\n", "skip:\n  - id: dockerfile.healthcheck\n", "\xff"],
    ids=["not-yaml", "unknown-key", "out-of-range", "no-reason", "not-utf8"],
)
def test_a_malformed_config_stops_the_command_line(project, config):
    (project / ".readiness.yml").write_bytes(config.encode("latin-1"))
    for command in (("scan", str(project)), ("baseline", "write", str(project))):
        assert_one_line_error(cli(*command), names=str(project / ".readiness.yml"))
    # The web app's scans (analyze) still ignore it with a note and run every check.
    report = analyze(project)
    assert any(".readiness.yml" in note and "ignored" in note for note in report.notes)


def test_code_quality_issues_and_several_formats_from_one_scan(project, tmp_path):
    (project / "api" / "Dockerfile").write_text(DOCKERFILE + "CMD python app.py\n")  # two identical findings
    sarif, markdown = tmp_path / "r.sarif", tmp_path / "r.md"
    done = cli(
        "scan",
        str(project),
        "--format",
        "codequality",
        "--also",
        f"sarif={sarif}",
        "--also",
        f"markdown={markdown}",
    )
    assert done.returncode == 0, done.stderr
    issues = json.loads(done.stdout)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    exec_form = [i for i in issues if i["check_name"] == "dockerfile.exec_form"]
    assert [i["location"]["lines"]["begin"] for i in exec_form] == [3, 4]
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert markdown.read_text().startswith("### Readiness of ")
    assert_one_line_error(cli("scan", str(project), "--also", "pdf=x.pdf"), names="pdf=x.pdf")
