"""Merge per-file (or per-build-context) findings into one repository result, by checks.md's rules.

Shared by the Dockerfile, .dockerignore and compose checks (checks/_compose_common.py builds on
``Findings`` and ``judge_files``, so keep their names and fields stable).

- Development files never decide: everything they show goes to ``dev_evidence``.
- A production failure anywhere decides ``fail`` (``warn`` for a *soft* check), evidence naming
  each failing place.
- Otherwise partial findings make it ``warn``; a production file the check applied to makes
  it ``pass``.
- A production file that could not be read or parsed decides only its own result (checks.md,
  Version 2): the check is ``error`` only when no file it applies to could be read, and otherwise
  the unreadable file is listed in the evidence after what decided.
- Nothing it applied to makes it ``na``.
- The same place found through two files (an overlay merged onto its base, and the base alone) is
  reported once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import CheckResult, Evidence, Status

# Enough to act on; a hostile file could otherwise produce one item per line.
MAX_FAILURES_PER_FILE = 100


@dataclass
class Findings:
    """What a check found in one file (or build context)."""

    file: str
    is_dev: bool
    fail: list[Evidence] = field(default_factory=list)
    warn: list[Evidence] = field(default_factory=list)
    # Why it could not be decided (unreadable, unparsable).
    error: list[Evidence] = field(default_factory=list)
    # False when there was nothing here the check applies to.
    applies: bool = True
    ok_message: str = "passes"
    omitted: int = 0  # failures beyond MAX_FAILURES_PER_FILE
    _seen: set = field(default_factory=set, repr=False)

    def add_fail(self, evidence: Evidence) -> None:
        """Record a failing place once; past the cap only count it."""
        if evidence in self._seen:
            return
        self._seen.add(evidence)
        if len(self.fail) < MAX_FAILURES_PER_FILE:
            self.fail.append(evidence)
        else:
            self.omitted += 1

    @classmethod
    def unreadable(cls, file: str, is_dev: bool, reason: str) -> Findings:
        return cls(file, is_dev, error=[Evidence(file, None, f"cannot be checked: {reason}")])

    @classmethod
    def not_applicable(cls, file: str, is_dev: bool) -> Findings:
        return cls(file, is_dev, applies=False)


def judge_files(check_id: str, findings: Iterable[Findings], *, soft: bool = False) -> CheckResult:
    result = CheckResult(check_id, Status.NA)
    fails: list[Evidence] = []
    warns: list[Evidence] = []
    errors: list[Evidence] = []
    passes: list[Evidence] = []
    for found in findings:
        if found.omitted:
            found.fail.append(Evidence(found.file, None, f"and {found.omitted} more places like these"))
        if found.is_dev:
            result.dev_evidence += found.fail + found.warn + found.error
            continue
        fails += found.fail
        warns += found.warn
        errors += found.error
        if found.applies and not (found.fail or found.warn or found.error):
            passes.append(Evidence(found.file, None, found.ok_message))
    fails, warns, errors, passes = _unique(fails), _unique(warns), _unique(errors), _unique(passes)
    result.dev_evidence = _unique(result.dev_evidence)
    if fails:
        result.status = Status.WARN if soft else Status.FAIL
        result.evidence = fails + warns + errors
    elif warns:
        result.status = Status.WARN
        result.evidence = warns + errors
    elif passes:
        result.status = Status.PASS
        result.evidence = passes + errors
    elif errors:
        result.status = Status.ERROR
        result.evidence = errors
    return result


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    return list(dict.fromkeys(evidence))
