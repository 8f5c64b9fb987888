"""Plain data the engine returns: statuses, evidence, check results and the scan report.

Everything here is JSON-friendly (see ``as_dict``) so the CLI, the worker and the API
serialise one shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    WARN = "warn"
    NA = "na"
    ERROR = "error"


# Worst first: used to merge per-file statuses into one repository status.
STATUS_SEVERITY_ORDER = [Status.ERROR, Status.FAIL, Status.WARN, Status.PASS, Status.NA]


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Evidence:
    """One place a check looked at: a file (relative to the scan root, POSIX separators) and line."""

    file: str
    line: int | None
    message: str


@dataclass(frozen=True)
class CheckMeta:
    """The catalog entry of a check (../shared/checks.md)."""

    id: str
    title: str
    category: str
    severity: Severity
    soft: bool = False
    sources: tuple[str, ...] = ()
    # Ids of overlapping rules in other tools (hadolint DL..., Checkov CKV_..., Trivy DS-...).
    refs: tuple[str, ...] = ()
    remediation: str = ""
    # What "pass" means, from the check function's docstring (docs/checks.md, SARIF rules).
    description: str = ""

    @property
    def weight(self) -> float:
        from .scoring import SEVERITY_WEIGHT

        return SEVERITY_WEIGHT[self.severity]


@dataclass
class CheckResult:
    id: str
    status: Status
    evidence: list[Evidence] = field(default_factory=list)
    # Specific remediation for this finding; falls back to the catalog's.
    remediation: str = ""
    # Files that are development files: reported, but never decide the status.
    dev_evidence: list[Evidence] = field(default_factory=list)
    # One per evidence of a finding (fail/warn/error), set by analyze (fingerprint.py); not compared.
    fingerprints: list[str] = field(default_factory=list, compare=False)
    # Structured edits that make it pass (fixes.model.Fix), filled when a scan asks for fixes.
    fixes: list = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """A file the engine did not read, and why (size cap, symlink out of root, count cap...)."""

    file: str
    reason: str


@dataclass
class CategoryScore:
    id: str
    title: str
    score: float | None  # None when every check of the category is na


@dataclass
class ScanReport:
    version: str
    path: str
    score: float | None
    categories: list[CategoryScore]
    results: list[CheckResult]
    skipped: list[Skipped] = field(default_factory=list)
    # Checks skipped by .readiness.yml: {"id", "reason", "expires"}
    config_skips: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The gate from .readiness.yml (fail_under), if any; the CLI's --fail-under overrides it.
    fail_under: float | None = None
    # What the apps need besides results, so they never reopen the analysed files (facts.py):
    # the detected stack, the paths health checks request, and (when asked) evidence excerpts.
    facts: dict = field(default_factory=dict)
    healthchecks: list[dict] = field(default_factory=list)
    excerpts: dict[str, dict] = field(default_factory=dict)  # "file:line" -> {"start", "lines"}

    def result(self, check_id: str) -> CheckResult:
        for result in self.results:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    def as_dict(self) -> dict:
        from .registry import get_meta

        checks = []
        for result in self.results:
            meta = get_meta(result.id)
            checks.append(
                {
                    "id": result.id,
                    "title": meta.title,
                    "category": meta.category,
                    "status": str(result.status),
                    "severity": str(meta.severity),
                    "soft": meta.soft,
                    "refs": list(meta.refs),
                    "evidence": [
                        _evidence_dict(e, result.fingerprints[i] if i < len(result.fingerprints) else None)
                        for i, e in enumerate(result.evidence)
                    ],
                    "dev_evidence": [_evidence_dict(e) for e in result.dev_evidence],
                    "remediation": result.remediation or meta.remediation,
                    "fixes": [fix.as_dict() for fix in result.fixes],
                }
            )
        return {
            "version": self.version,
            "path": self.path,
            "score": self.score,
            "categories": [asdict(c) for c in self.categories],
            "checks": checks,
            "skipped": [asdict(s) for s in self.skipped]
            + [
                {"file": None, "reason": f"check {skip['id']} skipped: {skip['reason']}"}
                for skip in self.config_skips
            ],
            "config_skips": list(self.config_skips),
            "notes": self.notes,
            "facts": self.facts,
            "healthchecks": self.healthchecks,
        }


def _evidence_dict(evidence: Evidence, fingerprint: str | None = None) -> dict:
    # Not dataclasses.asdict: it deep-copies each field, and a large tree has tens of thousands.
    data = {"file": evidence.file, "line": evidence.line, "message": evidence.message}
    if fingerprint:
        data["fingerprint"] = fingerprint
    return data
