"""Evidence excerpts: the lines around each evidence line, read from the analysed folder."""

from __future__ import annotations

import logging
from pathlib import Path

from readiness.repos.models import AnalysisRun, CheckResult

logger = logging.getLogger(__name__)

EXCERPT_CONTEXT = 2  # lines shown before and after an evidence line
EXCERPT_MAX_LINE_CHARS = 240
EXCERPT_MAX_FILE_BYTES = 2 * 1024 * 1024
EXCERPT_MAX_PLACES = 400


def _read_excerpt(root: Path, relative: str, line: int) -> dict | None:
    try:
        path = (root / relative).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file() or path.is_symlink():
            return None
        if path.stat().st_size > EXCERPT_MAX_FILE_BYTES:
            return None
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, ValueError):
        return None
    if not 1 <= line <= len(lines):
        return None
    start = max(1, line - EXCERPT_CONTEXT)
    end = min(len(lines), line + EXCERPT_CONTEXT)
    return {"start": start, "lines": [text[:EXCERPT_MAX_LINE_CHARS] for text in lines[start - 1 : end]]}


def evidence_excerpts(*, report, root) -> dict:
    """``{"file:line": {"start", "lines"}}`` for the evidence of a report, read from the analysed
    folder before it is deleted (call inside the run's temporary-directory block)."""
    excerpts: dict = {}
    try:
        root = Path(root)
        for result in report.results:
            if str(result.status) in ("pass", "na"):
                continue
            for evidence in result.evidence:
                if len(excerpts) >= EXCERPT_MAX_PLACES:
                    return excerpts
                if not evidence.file or not evidence.line:
                    continue
                key = f"{evidence.file}:{evidence.line}"
                if key not in excerpts:
                    excerpt = _read_excerpt(root, evidence.file, int(evidence.line))
                    if excerpt:
                        excerpts[key] = excerpt
    except Exception:
        logger.exception("reading evidence excerpts failed")
    return excerpts


def evidence_excerpts_attach(*, run: AnalysisRun, excerpts: dict) -> None:
    changed = []
    for result in CheckResult.objects.filter(run=run):
        touched = False
        for evidence in result.evidence:
            key = f"{evidence.get('file')}:{evidence.get('line')}"
            if key in excerpts and "excerpt" not in evidence:
                evidence["excerpt"] = excerpts[key]
                touched = True
        if touched:
            changed.append(result)
    CheckResult.objects.bulk_update(changed, ["evidence"])
