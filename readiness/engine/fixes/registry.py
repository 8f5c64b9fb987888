"""Fix builders, registered by check id, and the one function that runs them over a scan's results.

A builder takes the check's ``CheckResult`` and a ``FixContext`` (the parsed project and its files)
and returns the fixes for the places that failed, each built from that file's own context. The
check functions stay as they are: a builder reads the result's evidence to know where to look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import CheckResult, Evidence, Status
from .files import Files
from .model import Fix

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from ..project import Project

FIXABLE_STATUSES = (Status.FAIL, Status.WARN)


@dataclass
class FixContext:
    project: Project
    files: Files


Builder = Callable[[CheckResult, FixContext], list[Fix]]

_BUILDERS: dict[str, Builder] = {}
# What each builder writes, for docs/checks.md and --explain.
_WRITES: dict[str, str] = {}


def fixer(check_id: str, writes: str):
    """Register ``builder(result, context) -> [Fix]`` for a check id; ``writes`` says what its
    edits do, and when it offers none."""

    def decorator(builder: Builder) -> Builder:
        if check_id in _BUILDERS:
            raise ValueError(f"fix builder for {check_id} registered twice")
        _BUILDERS[check_id] = builder
        _WRITES[check_id] = " ".join(writes.split())
        return builder

    return decorator


def _load() -> None:
    # Importing the builder modules registers them; compose's loads ruamel.yaml only when it runs.
    from . import compose, dockerfile, dockerignore, hardening  # noqa: F401


def fixable_ids() -> list[str]:
    """Ids of the checks that have a fix builder (some findings may still have no safe edit)."""
    _load()
    return sorted(_BUILDERS)


def fix_description(check_id: str) -> str | None:
    """What the automatic fix of a check writes, or None when it has none."""
    _load()
    return _WRITES.get(check_id)


def builder_for(check_id: str) -> Builder | None:
    _load()
    return _BUILDERS.get(check_id)


def attach_fixes(project, results: list[CheckResult]) -> None:
    """Fill ``result.fixes`` for every failing or warning result that has a builder."""
    context = FixContext(project, Files(project))
    for result in results:
        if result.status not in FIXABLE_STATUSES:
            continue
        builder = builder_for(result.id)
        if builder is None:
            continue
        try:
            result.fixes = builder(result, context)
        except Exception:  # a broken builder must not sink the scan: the finding keeps its text
            import logging  # only here, as analyze() does for a crashing check

            logging.getLogger(__name__).exception("fix builder for %s crashed", result.id)
            result.fixes = []


def evidence_by_file(result: CheckResult) -> dict[str, list[Evidence]]:
    """The production evidence of a result, grouped by file (files only, in order)."""
    grouped: dict[str, list[Evidence]] = {}
    for evidence in result.evidence:
        if evidence.file and "://" not in evidence.file:
            grouped.setdefault(evidence.file, []).append(evidence)
    return grouped
