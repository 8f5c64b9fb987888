"""The CLI's fix and explain parts: ``scan --fix`` (a unified diff), ``scan --fix --write`` (the
files edited, safely) and ``--explain ID`` (what a check wants, the source line, an example).

Kept apart from cli.py so the scan command stays small; cli.py calls these.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Imported on every scan's start (cli.py): what only --fix or --explain needs is imported there.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model import ScanReport


class FixUsageError(Exception):
    """A usage or refusal message; cli.py prints it as one line and exits 2."""


def add_fix_options(scan: argparse.ArgumentParser) -> None:
    scan.add_argument(
        "--fix",
        action="store_true",
        help="print the edits that fix the findings, as a unified diff (nothing is changed)",
    )
    scan.add_argument(
        "--write",
        action="store_true",
        help="with --fix: apply the edits to the files (atomically; never outside PATH or through a symlink)",
    )


def check_fix_options(args: argparse.Namespace) -> None:
    if args.write and not args.fix:
        raise FixUsageError("--write applies the edits of --fix; add --fix")
    if args.fix and args.format != "text":
        raise FixUsageError("--fix prints a diff; drop --format (the JSON and SARIF reports carry the edits)")
    if args.fix and args.write and args.output:
        raise FixUsageError("--fix --write edits the files; drop --output")
    if args.fix and (getattr(args, "also", None) or getattr(args, "changed", None) is not None):
        raise FixUsageError("--fix prints a diff of every fix; drop --also and --changed")


def wants_fixes(args: argparse.Namespace) -> bool:
    """Whether the scan must compute fixes: for --fix, and for the reports that carry them."""
    formats = {args.format, *(fmt for fmt, _ in getattr(args, "also", None) or ())}
    return bool(getattr(args, "fix", False)) or bool(formats & {"json", "sarif"})


def run_fix(args: argparse.Namespace, report: ScanReport, root: Path, rescan, emit) -> ScanReport:
    """Print the diff (``emit(text, output)``, the CLI's writer), or write the fixes; returns the
    report the gate judges (a new scan after --write)."""
    from .fixes.apply import FixRefused, fixes_of, plan, write

    fixes = fixes_of(report)
    try:
        planned = plan(root, fixes)
    except FixRefused as exc:
        raise FixUsageError(f"{exc}; nothing was written") from exc
    # Findings with no edits, and why (a base whose user tools are unknown, an image that must start
    # as root...): the reason, once per distinct one, so the report's generic fix text is not all.
    without = list(
        dict.fromkeys(
            f"no automatic fix ({r.id})" + _reason(f.summary)
            for r in report.results
            for f in r.fixes
            if not f.edits
        )
    )
    if not args.write:
        emit(planned.diff(), args.output)
        files = len(planned.files)
        _note(
            f"{len(planned.applied)} fixes in {files} file{'s' if files != 1 else ''} (dry run: add --write)"
        )
    else:
        try:
            written = write(root, planned.files)
        except FixRefused as exc:
            raise FixUsageError(str(exc)) from exc
        for rel in written:
            checks = sorted({f.check for f in planned.applied if rel in f.files})
            _note(f"fixed {rel} ({', '.join(checks)})")
    for fix, reason in planned.deferred:
        _note(f"not applied yet: {fix.check} ({fix.summary}): {reason}; run --fix again after this")
    for fix in planned.applied:
        if fix.note:
            _note(f"check: {fix.check} ({', '.join(fix.files)}): {fix.note}")
    for line in without:
        _note(line)
    return rescan() if args.write else report


def _reason(summary: str) -> str:
    """A fix's summary after "no automatic fix" (": why", " for web: why"), or ": summary"."""
    if summary.startswith("no automatic fix"):
        return summary.removeprefix("no automatic fix")
    return f": {summary}" if summary else ""


def _note(line: str) -> None:
    print(f"readiness: {line}", file=sys.stderr)


def explain(check_id: str) -> str:
    """What the check wants, why (the lines of the source documents), an example, and its fix."""
    from .explain_sources import SOURCES
    from .fixes.registry import fix_description
    from .registry import get_meta

    try:
        meta = get_meta(check_id)
    except KeyError:
        raise FixUsageError(f"unknown check id {check_id!r} (see: readiness catalog)") from None
    facts = [meta.category, f"severity {meta.severity}"]
    if meta.soft:
        facts.append("soft: warns, never fails")
    lines = [
        f"{meta.id}: {meta.title}",
        " · ".join(facts),
        "",
        "Wants",
        # The description is a docstring (reST ``code``); a terminal reads `code` better.
        *_wrap((meta.description or meta.title).replace("``", "`")),
        "",
    ]
    lines.append("Why")
    sources = SOURCES.get(meta.id, [])
    for document, title, section, quote in sources:
        where = f"{document} {title}".strip() + (f', "{section}"' if section else "")
        lines += [f"  {where}:", *_wrap(quote, indent=6)]
    if not sources:
        documents = ", ".join(meta.sources) or "none of the seed documents"
        lines.append(f"  sources: {documents}")
    if meta.refs:
        lines.append(f"  the same rule elsewhere: {', '.join(meta.refs)}")
    lines += ["", "Example", *(f"  {line}".rstrip() for line in (meta.remediation or "-").splitlines()), ""]
    lines.append("Automatic fix")
    automatic = fix_description(meta.id)
    if automatic:
        lines += [*_wrap(automatic), "  `readiness scan PATH --fix` shows it for your files."]
    else:
        lines.append("  none: the fix depends on choices the files do not show")
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: int = 2) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=100, initial_indent=" " * indent, subsequent_indent=" " * indent) or [""]
