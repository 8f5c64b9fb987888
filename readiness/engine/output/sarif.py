"""SARIF 2.1.0 for GitHub code scanning: one rule per catalog check, one result per failing place.

Only ``fail``/``error`` (level ``error``) and ``warn`` (level ``warning``) produce results.
A result whose finding has an automatic fix carries it in ``fixes`` (artifactChanges with
character-range replacements). Each result has exactly one location, as code scanning
requires: the evidence's file relative to the scan root (``%SRCROOT%``), with a region only
where the line is known. A finding that names no file (e.g. "no CI pipeline") gets the
placeholder location code scanning tools use for repository-wide alerts. hadolint findings
(``--with-hadolint``) form a second run of their own.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from ..fingerprint import evidence_fingerprint
from ..model import CheckMeta, CheckResult, Evidence, ScanReport, Status
from ..registry import all_checks, get_meta

# Not typing.TYPE_CHECKING: importing typing costs start-up time (type checkers know this form).
TYPE_CHECKING = False
if TYPE_CHECKING:  # the lint module (subprocess, shutil) loads only with --with-hadolint
    from ..baseline import Comparison
    from ..lint import LintReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
NO_FILE_URI = "no file associated with this alert"
HADOLINT_URI = "https://github.com/hadolint/hadolint"
FINGERPRINT_KEY = "readinessFinding/v2"

RESULT_LEVEL = {Status.FAIL: "error", Status.ERROR: "error", Status.WARN: "warning"}
# GitHub ranks security alerts by this 0-10 figure (only for rules tagged "security").
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.5", "low": "3.0"}
HADOLINT_LEVEL = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def render_sarif(
    report: ScanReport,
    *,
    lint: LintReport | None = None,
    docs_url: str | None = None,
    comparison: Comparison | None = None,
) -> str:
    runs = [_readiness_run(report, docs_url, comparison)]
    if lint is not None:
        runs.append(_hadolint_run(lint))
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def _readiness_run(report: ScanReport, docs_url: str | None, comparison: Comparison | None = None) -> dict:
    # With a baseline each result says whether it is new (SARIF's baselineState).
    new = {id(finding.evidence) for finding in comparison.new} if comparison else set()
    metas = [meta for meta, _ in all_checks()]
    rule_index = {meta.id: index for index, meta in enumerate(metas)}
    results: list[dict] = []
    for result in report.results:
        level = RESULT_LEVEL.get(result.status)
        if level is None:
            continue
        meta = get_meta(result.id)
        first = len(results)
        for index, evidence in enumerate(result.evidence or [Evidence("", None, meta.title)]):
            results.append(
                {
                    "ruleId": meta.id,
                    "ruleIndex": rule_index[meta.id],
                    "level": level,
                    "message": {"text": evidence.message or meta.title},
                    "locations": [_location(evidence.file, evidence.line)],
                    "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(result, index, evidence)},
                }
            )
            if comparison is not None:
                results[-1]["baselineState"] = "new" if id(evidence) in new else "unchanged"
        _attach_fixes(results[first:], result.fixes)
    driver = {
        "name": "Readiness",
        "version": report.version,
        "semanticVersion": report.version,
        "rules": [_rule(meta, docs_url) for meta in metas],
    }
    return {"tool": {"driver": driver}, "results": results}


def _attach_fixes(results: list[dict], fixes: list) -> None:
    """Each fix goes on the check's first result in a file it edits (else on its first result),
    as SARIF ``fixes[].artifactChanges[].replacements``."""
    for fix in fixes:
        if not fix.edits or not results:
            continue
        uris = {quote(file) for file in fix.files}
        target = next((r for r in results if _result_uri(r) in uris), results[0])
        target.setdefault("fixes", []).append(_fix(fix))


def _result_uri(result: dict) -> str | None:
    return result["locations"][0]["physicalLocation"]["artifactLocation"].get("uri")


def _fix(fix) -> dict:
    changes = []
    for file in fix.files:
        replacements = [
            {
                # Whole lines, by character range: an insertion is a zero-length region.
                "deletedRegion": {"charOffset": edit.char_offset, "charLength": edit.char_length},
                "insertedContent": {"text": edit.replacement},
            }
            for edit in fix.edits
            if edit.file == file
        ]
        changes.append(
            {"artifactLocation": {"uri": quote(file), "uriBaseId": SRCROOT}, "replacements": replacements}
        )
    return {"description": {"text": fix.summary}, "artifactChanges": changes}


def _rule(meta: CheckMeta, docs_url: str | None) -> dict:
    tags = ["readiness", meta.category, meta.id.split(".")[0]]
    properties: dict = {"tags": tags, "precision": "high"}
    if meta.category == "security":
        properties["security-severity"] = SECURITY_SEVERITY[str(meta.severity)]
    rule = {
        "id": meta.id,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.description or meta.title},
        "defaultConfiguration": {"level": "warning" if meta.soft else "error"},
        "properties": properties,
    }
    if meta.remediation:
        rule["help"] = {"text": meta.remediation, "markdown": meta.remediation}
    if docs_url:
        rule["helpUri"] = f"{docs_url}#{meta.id}"
    return rule


def _hadolint_run(lint: LintReport) -> dict:
    rules: list[dict] = []
    rule_index: dict[str, int] = {}
    results = []
    for finding in lint.findings:
        if finding.code not in rule_index:
            rule_index[finding.code] = len(rules)
            rules.append(_hadolint_rule(finding.code, finding.message, finding.check))
        result = {
            "ruleId": finding.code,
            "ruleIndex": rule_index[finding.code],
            "level": HADOLINT_LEVEL.get(finding.level, "warning"),
            "message": {"text": finding.message},
            "locations": [_location(finding.file, finding.line)],
        }
        if finding.check:
            result["properties"] = {"readinessCheck": finding.check}
        results.append(result)
    driver = {"name": "hadolint", "version": lint.version, "informationUri": HADOLINT_URI, "rules": rules}
    return {"tool": {"driver": driver}, "results": results}


def _hadolint_rule(code: str, message: str, check: str | None) -> dict:
    wiki = "https://www.shellcheck.net/wiki/" if code.startswith("SC") else f"{HADOLINT_URI}/wiki/"
    properties: dict = {"tags": ["hadolint", "dockerfile"]}
    if check:
        properties["readinessCheck"] = check
    return {
        "id": code,
        "shortDescription": {"text": message.splitlines()[0] if message else code},
        "helpUri": wiki + code,
        "properties": properties,
    }


def _location(file: str, line: int | None) -> dict:
    # A URL (health evidence) or nothing is not a file in the repository.
    if not file or "://" in file:
        return {"physicalLocation": {"artifactLocation": {"uri": NO_FILE_URI}}}
    physical: dict = {"artifactLocation": {"uri": quote(file.lstrip("/")), "uriBaseId": SRCROOT}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _fingerprint(result: CheckResult, index: int, evidence: Evidence) -> str:
    """The finding's fingerprint from the scan (line moves keep it: fingerprint.py); a report
    rebuilt from an older stored run without one falls back to the message."""
    if index < len(result.fingerprints) and result.fingerprints[index]:
        return result.fingerprints[index]
    return evidence_fingerprint(result.id, evidence, None)
