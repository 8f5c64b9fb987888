"""A stored run's findings as SARIF 2.1.0, through the engine's own renderer (the CLI's output).

The stored CheckResults are turned back into the engine's report shape; a check id the current
engine no longer knows is left out (SARIF rules come from the current catalog).
"""

from __future__ import annotations

from readiness.engine import ENGINE_VERSION, CheckResult, Evidence, ScanReport, Status
from readiness.engine.output.sarif import render_sarif
from readiness.engine.registry import all_ids

STATUSES = {status.value for status in Status}


def _evidence(item: dict) -> Evidence:
    line = item.get("line")
    return Evidence(
        str(item.get("file") or ""), line if isinstance(line, int) else None, str(item.get("message") or "")
    )


def report_from_run(run) -> ScanReport:
    known = set(all_ids())
    results = []
    for row in run.check_results.all():
        if row.check_id not in known or row.status not in STATUSES:
            continue
        stored = [e for e in row.evidence if isinstance(e, dict)]
        results.append(
            CheckResult(
                id=row.check_id,
                status=Status(row.status),
                evidence=[_evidence(e) for e in stored],
                remediation=row.remediation,
                # As the scan computed them (runs before fingerprints fall back to the message).
                fingerprints=[str(e.get("fingerprint") or "") for e in stored],
            )
        )
    return ScanReport(
        version=run.engine_version or ENGINE_VERSION,
        path=run.repository.slug,
        score=run.score,
        categories=[],
        results=results,
    )


def run_sarif(*, run, docs_url: str | None = None) -> str:
    return render_sarif(report_from_run(run), docs_url=docs_url)
