"""GitLab Code Quality (a CodeClimate subset): a JSON array of issues, for merge request widgets.

https://docs.gitlab.com/ci/testing/code_quality/ : each issue has ``description``, ``check_name``,
``fingerprint``, ``severity`` (info, minor, major, critical, blocker) and ``location.path`` with
``location.lines.begin``. GitLab compares a merge request's report with the target branch's by
fingerprint, so ours is the finding's (fingerprint.py: it survives line moves); identical findings
get an occurrence suffix, since GitLab expects one issue per fingerprint.
"""

from __future__ import annotations

import json

from ..model import ScanReport, Severity, Status
from ..registry import get_meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..baseline import Comparison

SEVERITY = {Severity.HIGH: "critical", Severity.MEDIUM: "major", Severity.LOW: "minor"}
# A warning (soft check) is one step down; an error (the check could not judge a file) is major.
SOFTER = {"critical": "major", "major": "minor", "minor": "info"}


def render_codequality(report: ScanReport, *, comparison: Comparison | None = None) -> str:
    from ..baseline import findings

    # With a baseline only new findings are issues: the widget then shows what this change adds.
    listed = comparison.new if comparison is not None else findings(report)
    issues = []
    seen: dict[str, int] = {}
    for finding in listed:
        meta = get_meta(finding.check)
        severity = SEVERITY[meta.severity]
        if finding.status is Status.WARN:
            severity = SOFTER[severity]
        elif finding.status is Status.ERROR:
            severity = "major"
        seen[finding.fingerprint] = seen.get(finding.fingerprint, 0) + 1
        occurrence = seen[finding.fingerprint]
        fingerprint = finding.fingerprint if occurrence == 1 else f"{finding.fingerprint}-{occurrence}"
        path = finding.evidence.file if finding.evidence.file and "://" not in finding.evidence.file else "."
        issues.append(
            {
                "type": "issue",
                "description": f"{meta.title}: {finding.evidence.message}",
                "check_name": finding.check,
                "fingerprint": fingerprint,
                "severity": severity,
                "categories": [meta.category.title()],
                "location": {"path": path, "lines": {"begin": finding.evidence.line or 1}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
