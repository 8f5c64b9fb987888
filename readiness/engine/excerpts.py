"""The lines around each evidence line, read while the analysed files still exist.

The web app shows them under a finding; it never opens the analysed files itself (they live in a
temporary folder that is gone once the run is stored).
"""

from __future__ import annotations

from pathlib import Path

from .model import CheckResult, Status

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


def evidence_excerpts(root: str | Path, results: list[CheckResult]) -> dict[str, dict]:
    """``{"file:line": {"start": first line number, "lines": [text, ...]}}`` for the evidence of
    every result that did not pass (at most EXCERPT_MAX_PLACES places; a file that cannot be read,
    is a symlink or lies outside ``root`` has none)."""
    excerpts: dict[str, dict] = {}
    try:
        root = Path(root)
        for result in results:
            if result.status in (Status.PASS, Status.NA):
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
    except Exception:  # an excerpt is a nicety: never let it sink the scan
        import logging  # only here: a scan's start-up does not pay for it

        logging.getLogger(__name__).exception("reading evidence excerpts failed")
    return excerpts
