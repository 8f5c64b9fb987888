"""Markdown for pull requests and CI summaries: the compare page's table, then what to fix.

The category table (Category | Before | After | Status) is the one the compare page's Markdown
export renders (readiness/checklists/selectors/exports.py uses ``comparison_table`` and
``compare_status`` from here), so a pull request comment reads like that export. ``readiness scan
--format markdown`` fills "Before" from a baseline (``--baseline``); without one the column is
n/a. After the table come the findings that are new since the baseline (all findings without
one), each with its fix; a long list is cut, its length said.
"""

from __future__ import annotations

from ..model import ScanReport, Status
from ..registry import get_meta
from ..scoring import CATEGORY_TITLES

# Not typing.TYPE_CHECKING: importing typing costs start-up time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..baseline import Comparison, Finding

MAX_FINDINGS = 50
STATUS_WORDS = {Status.FAIL: "fail", Status.ERROR: "error", Status.WARN: "warn"}


def compare_status(before: float | None, after: float | None) -> str:
    """How a score moved between two runs, in the words the compare page uses."""
    if before is None and after is None:
        return "Not applicable"
    if before is None:
        return "New"
    if after is None:
        return "Removed"
    if after == before:
        return "Maintained"
    if after > before:
        return "Fixed" if after == 10 else "Improved"
    return "Regressed"


def score_cell(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}/10"


def comparison_table(rows: list[dict], overall: dict, *, overall_label: str = "Check score") -> list[str]:
    """Rows of ``{"title", "before", "after", "status"}`` and the overall row, as table lines.
    The overall row names its score: the CLI's "Check score" (the automated checks alone), the
    compare page's "Readiness score" (docs/scoring.md)."""
    lines = ["| Category | Before | After | Status |", "|----------|--------|-------|--------|"]
    for row in rows:
        lines.append(
            f"| {row['title']} | {score_cell(row['before'])} | {score_cell(row['after'])} | {row['status']} |"
        )
    before, after = score_cell(overall["before"]), score_cell(overall["after"])
    lines.append(f"| **{overall_label}** | **{before}** | **{after}** | {overall['status']} |")
    return lines


def render_markdown(report: ScanReport, *, comparison: Comparison | None = None) -> str:
    from ..baseline import findings

    baseline = comparison.baseline if comparison else {}
    before_scores = baseline.get("categories", {})
    lines = [f"### Readiness of {report.path}", ""]
    if comparison:
        written = (baseline.get("written") or "")[:10]
        lines += [f"Before: baseline of {written} ({comparison.path}) · After: this scan", ""]
    rows = []
    for category in report.categories:
        before = before_scores.get(category.id)
        rows.append(
            {
                "title": CATEGORY_TITLES.get(category.id, category.title),
                "before": before,
                "after": category.score,
                "status": compare_status(before, category.score),
            }
        )
    before_overall = baseline.get("score")
    overall = {
        "before": before_overall,
        "after": report.score,
        "status": compare_status(before_overall, report.score),
    }
    lines += [*comparison_table(rows, overall), ""]
    if comparison:
        listed = comparison.new
        gone = f"; {len(comparison.gone)} of the baseline's are gone" if comparison.gone else ""
        heading = f"#### New since the baseline ({len(listed)}; {comparison.known} known{gone})"
        empty = "No new finding."
    else:
        listed = findings(report)
        heading = f"#### Findings ({len(listed)})"
        empty = "No finding."
    lines += [heading, ""]
    lines += _findings(listed) if listed else [empty]
    return "\n".join(lines).rstrip("\n") + "\n"


def _findings(listed: list[Finding]) -> list[str]:
    """Grouped by check, worst first; each check's places, then its fix once."""
    by_check: dict[str, list[Finding]] = {}
    for finding in listed:
        by_check.setdefault(finding.check, []).append(finding)
    order = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2}
    lines: list[str] = []
    shown = 0
    for check_id, group in sorted(by_check.items(), key=lambda item: (order[item[1][0].status], item[0])):
        if shown >= MAX_FINDINGS:
            break
        meta = get_meta(check_id)
        status = STATUS_WORDS[group[0].status]
        lines.append(f"- **{meta.title}** (`{check_id}`, {status}, {meta.severity} severity)")
        for finding in group[: MAX_FINDINGS - shown]:
            lines.append(f"  - {_where(finding)}{_escape(finding.evidence.message)}")
            shown += 1
        fix = group[0].remediation or meta.remediation
        if fix:
            lines += [
                "",
                "  <details><summary>How to fix</summary>",
                "",
                *_fenced(fix),
                "",
                "  </details>",
                "",
            ]
    if len(listed) > shown:
        lines.append(f"... and {len(listed) - shown} more (the JSON or SARIF report has them all)")
    return lines


def _where(finding: Finding) -> str:
    evidence = finding.evidence
    if not evidence.file:
        return ""
    place = f"{evidence.file}:{evidence.line}" if evidence.line else evidence.file
    return f"`{place}` "


def _escape(text: str) -> str:
    # Keep a finding's message from opening HTML or a table in a comment.
    return text.replace("<", "&lt;").replace("|", "\\|")


def _fenced(text: str) -> list[str]:
    fence = "````" if "```" in text else "```"
    return [f"  {fence}text", *(f"  {line}" if line else "" for line in text.splitlines()), f"  {fence}"]
