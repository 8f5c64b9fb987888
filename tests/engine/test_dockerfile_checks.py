"""Every ``dockerfile.*`` check against its fixture cases: tests/engine/fixtures/<id>/<case>/.

Each case folder is a tiny repository plus ``expect.json``: the status the check must report
and, where given, the exact (file, line) of every evidence item (and of dev_evidence).
"""

import json
from pathlib import Path

import pytest

from readiness.engine import analyze
from readiness.engine.registry import all_ids

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("dockerfile.*/*/expect.json"))


@pytest.mark.parametrize("expect_file", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_check_reports_the_expected_status_and_evidence(expect_file):
    check_id, case = expect_file.parent.parent.name, expect_file.parent
    expected = json.loads(expect_file.read_text())

    result = analyze(case, only=[check_id]).result(check_id)

    assert result.status == expected["status"], result.evidence
    if "evidence" in expected:
        places = sorted([e.file, e.line] for e in result.evidence)
        assert places == sorted(expected["evidence"]), result.evidence
    if "dev_evidence" in expected:
        dev_places = sorted([e.file, e.line] for e in result.dev_evidence)
        assert dev_places == sorted(expected["dev_evidence"]), result.dev_evidence
        assert all(e.message for e in result.evidence)


def test_every_dockerfile_check_has_a_passing_and_a_failing_case():
    for check_id in (i for i in all_ids() if i.startswith("dockerfile.")):
        statuses = {json.loads(p.read_text())["status"] for p in FIXTURES.glob(f"{check_id}/*/expect.json")}
        assert "pass" in statuses, check_id
        assert statuses & {"fail", "warn"}, check_id


def test_a_failure_decides_over_an_unreadable_file_and_both_are_evidence(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM alpine:3.20\nCMD run\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_bytes(b"FROM alpine:3.20\nCMD \xff\n")

    result = analyze(tmp_path, only=["dockerfile.exec_form"]).result("dockerfile.exec_form")

    assert result.status == "fail"
    assert [(e.file, e.line) for e in result.evidence] == [("a/Dockerfile", 2), ("b/Dockerfile", None)]
    assert result.evidence[1].message == "cannot be checked: not valid UTF-8"


def test_only_development_files_make_the_check_na_with_dev_evidence(tmp_path):
    (tmp_path / "Dockerfile.dev").write_text("FROM alpine:3.20\nCMD run\n")

    result = analyze(tmp_path, only=["dockerfile.exec_form"]).result("dockerfile.exec_form")

    assert result.status == "na"
    assert [(e.file, e.line) for e in result.dev_evidence] == [("Dockerfile.dev", 2)]
