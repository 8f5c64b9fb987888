"""The one entry point: a directory in, a ScanReport out. The CLI and the worker both call it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .. import __version__
from .facts import healthcheck_paths, stack_facts
from .fingerprint import fingerprint_results
from .model import CategoryScore, CheckResult, Evidence, ScanReport, Status
from .project import HealthFacts, build_project
from .registry import all_checks
from .scoring import CATEGORY_TITLES, ScoredItem, score_items

# The package's version (readiness/__init__.py, which pyproject.toml reads): one place to bump.
ENGINE_VERSION = __version__


def analyze(
    root: str | Path,
    *,
    health: HealthFacts | None = None,
    only: Iterable[str] | None = None,
    skip: Iterable[str] | None = None,
    excerpts: bool = False,
    gitignore: bool = False,
    skip_expiry_limit=None,
    fingerprints: bool = True,
    fixes: bool = False,
) -> ScanReport:
    """Run every catalog check (or ``only`` those, less ``skip``) over the files under ``root``.

    With ``excerpts`` the report also carries the lines around each evidence line of a finding.
    ``fingerprints``: give each finding its fingerprint (fingerprint.py), which re-reads the lines of
    the evidence; the CLI's plain text report shows none and skips it.
    ``gitignore``: leave out what the root's .gitignore files ignore (the CLI's local scans of a
    working copy; a server clone holds tracked files only, and a tracked file counts even when a
    .gitignore pattern matches it). ``skip_expiry_limit`` (a date): .readiness.yml skips expiring
    later, or never, are not applied (the server's team waiver policy).
    With ``fixes`` each failing result also carries the edits that fix it (readiness/engine/fixes).
    """
    from .config import load_config

    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    config = load_config(root.resolve(), skip_expiry_limit=skip_expiry_limit)
    project = build_project(root, health=health, exclude=config.exclude, gitignore=gitignore)
    only = set(only or ())
    skip = set(skip or ())

    results: list[CheckResult] = []
    config_skips: list[dict] = []
    for meta, func in all_checks():
        if (only and meta.id not in only) or meta.id in skip:
            continue
        active_skip = config.active_skip(meta.id)
        if active_skip is not None:
            config_skips.append(active_skip)
            continue
        try:
            result = func(project)
        except Exception as exc:  # one broken check must not sink the scan
            # logging is imported only here: a clean scan does not pay for it at start-up.
            import logging

            logging.getLogger(__name__).exception("check %s crashed", meta.id)
            result = CheckResult(
                meta.id,
                Status.ERROR,
                [Evidence("", None, f"internal error in check: {type(exc).__name__}: {exc}")],
            )
        results.append(result)
    if fixes:
        from .fixes.registry import attach_fixes

        attach_fixes(project, results)

    if fingerprints:
        fingerprint_results(results, project.inventory.read)
    metas = {meta.id: meta for meta, _ in all_checks()}
    items = [ScoredItem(metas[r.id].category, metas[r.id].weight, r.status) for r in results]
    overall, by_category = score_items(items)
    categories = [
        CategoryScore(id=cat, title=title, score=by_category[cat])
        for cat, title in CATEGORY_TITLES.items()
        if cat in by_category
    ]
    return ScanReport(
        version=ENGINE_VERSION,
        path=str(root),
        score=overall,
        categories=categories,
        results=results,
        skipped=list(project.inventory.skipped),
        config_skips=config_skips,
        notes=project.notes + config.notes,
        fail_under=config.fail_under,
        facts=stack_facts(project),
        healthchecks=healthcheck_paths(project),
        excerpts=_excerpts(root, results) if excerpts else {},
    )


def _excerpts(root: Path, results: list[CheckResult]) -> dict:
    # Imported only when asked for (the web app): the CLI's start-up does not load it.
    from .excerpts import evidence_excerpts

    return evidence_excerpts(root, results)
