"""The terminal report: by category, worst first, each finding with file:line, message and fix."""

from __future__ import annotations

from collections import defaultdict

from ..model import STATUS_SEVERITY_ORDER, CheckResult, Evidence, ScanReport, Status
from ..registry import get_meta
from ..scoring import CATEGORY_TITLES

# Not typing.TYPE_CHECKING: importing typing costs start-up time (type checkers know this form).
TYPE_CHECKING = False
if TYPE_CHECKING:  # the lint module (subprocess, shutil) loads only with --with-hadolint
    from ..baseline import Comparison
    from ..lint import LintReport

MAX_EVIDENCE_LINES = 20

LABELS = {
    Status.ERROR: ("ERROR", "31;1"),
    Status.FAIL: ("FAIL", "31;1"),
    Status.WARN: ("WARN", "33;1"),
    Status.PASS: ("pass", "32"),
    Status.NA: ("n/a", "2"),
}


class _Paint:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def render_text(
    report: ScanReport,
    *,
    lint: LintReport | None = None,
    color: bool = False,
    comparison: Comparison | None = None,
) -> str:
    paint = _Paint(color)
    lines = [f"Readiness {report.version}: {report.path}", ""]
    by_category: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        by_category[get_meta(result.id).category].append(result)
    scores = {category.id: category.score for category in report.categories}
    for category in [*CATEGORY_TITLES, *sorted(set(by_category) - set(CATEGORY_TITLES))]:
        if category in by_category:
            title = CATEGORY_TITLES.get(category, category.title())
            lines += [
                paint(f"{title}  {_score(scores.get(category))}", "1"),
                *_category(by_category[category], paint),
                "",
            ]
    if lint is not None:
        lines += [*_lint(lint, paint), ""]
    if comparison is not None:
        lines += [*_baseline(comparison, paint), ""]
    lines += _trailer(report)
    lines.append(paint(_summary(report), "1"))
    return "\n".join(lines) + "\n"


def _baseline(comparison: Comparison, paint: _Paint) -> list[str]:
    gone = f", {len(comparison.gone)} of its findings gone" if comparison.gone else ""
    lines = [
        paint(f"New since the baseline {comparison.path}: {len(comparison.new)}", "1")
        + f"  ({comparison.known} known{gone})"
    ]
    for finding in comparison.new[:MAX_EVIDENCE_LINES]:
        label, code = LABELS[finding.status]
        where, message = _where(finding.evidence), finding.evidence.message
        lines.append(f"  {paint(f'{label:<5}', code)} {finding.check}  {where}  {message}")
    if len(comparison.new) > MAX_EVIDENCE_LINES:
        lines.append(f"  ... and {len(comparison.new) - MAX_EVIDENCE_LINES} more")
    return lines


def _category(results: list[CheckResult], paint: _Paint) -> list[str]:
    lines = []
    ordered = sorted(results, key=lambda r: STATUS_SEVERITY_ORDER.index(r.status))
    for result in ordered:
        if result.status is Status.NA:
            continue
        meta = get_meta(result.id)
        label, code = LABELS[result.status]
        lines.append(f"  {paint(f'{label:<5}', code)} {result.id}  {meta.title}")
        if result.status is Status.PASS:
            continue
        lines += [f"        {_where(e)}  {e.message}" for e in result.evidence[:MAX_EVIDENCE_LINES]]
        if len(result.evidence) > MAX_EVIDENCE_LINES:
            lines.append(f"        ... and {len(result.evidence) - MAX_EVIDENCE_LINES} more")
        lines += [
            paint(f"        {_where(e)}  {e.message} (development file, not counted)", "2")
            for e in result.dev_evidence[:MAX_EVIDENCE_LINES]
        ]
        fix = result.remediation or meta.remediation
        if fix:
            first, *rest = fix.splitlines()
            lines += [f"        fix: {first}", *(f"             {line}".rstrip() for line in rest)]
    not_applicable = [r.id for r in ordered if r.status is Status.NA]
    if not_applicable:
        lines.append(paint(f"  {'n/a':<5} {', '.join(not_applicable)}", "2"))
    return lines


def _lint(lint: LintReport, paint: _Paint) -> list[str]:
    lines = [paint(f"Lint: {lint.tool} {lint.version} (not scored)", "1")]
    if not lint.findings:
        lines.append("  no findings")
    for finding in lint.findings:
        mapped = f"  [{finding.check}]" if finding.check else ""
        where = f"{finding.file}:{finding.line}" if finding.line else finding.file
        lines.append(
            f"  {finding.level:<7} {finding.code:<7} {where}  {finding.message.splitlines()[0]}{mapped}"
        )
    return lines


def _trailer(report: ScanReport) -> list[str]:
    lines = []
    for skip in report.config_skips:
        until = f" (until {skip['expires']})" if skip.get("expires") else ""
        lines.append(f"Skipped by .readiness.yml: {skip['id']}: {skip['reason']}{until}")
    lines += [f"Not read: {s.file}: {s.reason}" for s in report.skipped]
    lines += [f"Note: {note}" for note in report.notes]
    return [*lines, ""] if lines else []


def _summary(report: ScanReport) -> str:
    counts = {status: 0 for status in STATUS_SEVERITY_ORDER}
    for result in report.results:
        counts[result.status] += 1
    tally = ", ".join(f"{counts[s]} {s}" for s in STATUS_SEVERITY_ORDER if counts[s])
    # The check score: the automated checks alone (docs/scoring.md), not the server's readiness score.
    return f"Check score {_score(report.score)}  ({tally or 'no checks run'})"


def _score(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}/10"


def _where(evidence: Evidence) -> str:
    if not evidence.file:
        return "(repository)"
    return f"{evidence.file}:{evidence.line}" if evidence.line else evidence.file
