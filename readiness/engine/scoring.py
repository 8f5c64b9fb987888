"""The one scoring formula (docs/scoring.md). Used by the CLI, the worker, the dashboard and e-mails.

Each applicable item contributes ``weight * value`` where value is 1 for pass, 0.5 for warn and 0
for fail or error; ``na`` (and waived items, on the checklist side) are left out of both sums.
A score is ``10 * sum(weight * value) / sum(weight)`` rounded to one decimal; None when nothing applies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Severity, Status

SEVERITY_WEIGHT = {Severity.HIGH: 3.0, Severity.MEDIUM: 2.0, Severity.LOW: 1.0}

STATUS_VALUE = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0, Status.ERROR: 0.0}

CATEGORY_TITLES = {
    "security": "Security",
    "reliability": "Reliability",
    "performance": "Performance",
    "build": "Build",
    "operations": "Operations",
}


@dataclass(frozen=True)
class ScoredItem:
    category: str
    weight: float
    status: Status | str


def _ratio(items: Iterable[ScoredItem]) -> float | None:
    total = earned = 0.0
    for item in items:
        value = STATUS_VALUE.get(Status(item.status))
        if value is None:  # na
            continue
        total += item.weight
        earned += item.weight * value
    if total == 0:
        return None
    return round(10 * earned / total, 1)


def score_items(items: Iterable[ScoredItem]) -> tuple[float | None, dict[str, float | None]]:
    """Return (overall, {category: score}) for the given items, by the one formula."""
    items = list(items)
    by_category: dict[str, list[ScoredItem]] = defaultdict(list)
    for item in items:
        by_category[item.category].append(item)
    return _ratio(items), {category: _ratio(group) for category, group in by_category.items()}
