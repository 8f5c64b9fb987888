"""Pure item-status logic for checklists (no database): combine check statuses, manual
attestations that fall due, waivers, and a checklist's scores and level by the one formula.

Item statuses:

- ``pass`` / ``warn`` / ``fail`` / ``error`` / ``na``: an automated item, from its checks' statuses;
- ``pending``: an automated item of a repository with no finished analysis yet;
- ``done``: a manual item ticked (and not expired); ``todo``: never ticked or unticked;
  ``due``: ticked, but longer ago than its re-attestation interval;
- ``waived``: a lead's waiver is active (it wins over every other status until it expires);
- ``inapplicable``: the item's applicability condition does not hold on the repository's facts
  (readiness/checklists/applicability.py); it wins over everything, waivers included.

For the readiness score (docs/scoring.md, "The readiness score") only *decided* items count:
``done`` counts as pass, ``due`` (an attestation that lapsed) as fail; ``todo`` (a manual item
nobody has reviewed yet) is **to review**: left out of the score like ``na``, ``waived`` and
``pending``, reported as coverage beside it, and still holding the levels that contain it;
``inapplicable`` is left out too and holds no level. A checklist of a repository with no finished
analysis has no score (``overall`` is None).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from readiness.checklists.applicability import applies
from readiness.engine.scoring import ScoredItem, score_items

LEVELS = ("bronze", "silver", "gold")
LEVEL_WEIGHT = {"bronze": 3.0, "silver": 2.0, "gold": 1.0}

# What each item status scores as (engine statuses; na is left out).
SCORE_STATUS = {
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "error": "error",
    "na": "na",
    "pending": "na",
    "waived": "na",
    "done": "pass",
    "todo": "na",  # to review: not decided yet, so neither a pass nor a failure
    "due": "fail",
    "inapplicable": "na",
}
# Manual item statuses; of these, ``todo`` is "to review" and the others are reviewed.
MANUAL_STATUSES = {"done", "todo", "due"}
# Statuses that do not keep a repository from a level.
LEVEL_NEUTRAL = {"pass", "done", "na", "waived", "inapplicable"}
INAPPLICABLE = "inapplicable"
# Worst first, for "all"; "any" takes the best.
_WORST_FIRST = ("error", "fail", "warn", "pass")


class ItemSpec(Protocol):
    # Also read when present: ``applies_when`` (a condition, or None).
    key: str
    category_id: str
    category_title: str
    level: str
    checks: list
    combine: str
    manual: bool
    reattest_days: int | None


@dataclass(frozen=True)
class AttestationFact:
    checked: bool
    at: datetime


@dataclass(frozen=True)
class WaiverFact:
    expires_on: date
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class ItemState:
    status: str
    # What the item would be without its waiver (shown beside "waived").
    underlying: str
    # When this status changes by itself (an attestation falls due, a waiver expires), if ever.
    changes_at: datetime | None = None


def combine_statuses(statuses: Iterable[str | None], combine: str = "all") -> str:
    """One status from several checks' statuses: ``all`` takes the worst, ``any`` the best.

    A check missing from the run (None) counts as ``na``; when every check is ``na`` so is the item.
    """
    present = [s for s in statuses if s is not None and s != "na"]
    if not present:
        return "na"
    order = _WORST_FIRST if combine == "all" else tuple(reversed(_WORST_FIRST))
    for status in order:
        if status in present:
            return status
    return "error"  # an unknown status is not a pass


def manual_status(
    attestation: AttestationFact | None, reattest_days: int | None, now: datetime
) -> tuple[str, datetime | None]:
    """(``done`` | ``todo`` | ``due``, when a ``done`` falls due)."""
    if attestation is None or not attestation.checked:
        return "todo", None
    if reattest_days:
        due_at = attestation.at + timedelta(days=reattest_days)
        if now >= due_at:
            return "due", None
        return "done", due_at
    return "done", None


def waiver_end(waiver: WaiverFact, tzinfo) -> datetime:
    """A waiver holds through its expiry date; it ends at the start of the next day."""
    return datetime.combine(waiver.expires_on + timedelta(days=1), time.min, tzinfo=tzinfo)


def waiver_active(waiver: WaiverFact | None, now: datetime) -> bool:
    if waiver is None or (waiver.revoked_at is not None and waiver.revoked_at <= now):
        return False
    return now < waiver_end(waiver, now.tzinfo)


def item_state(
    item: ItemSpec,
    *,
    check_statuses: Mapping[str, str] | None,
    attestation: AttestationFact | None,
    waiver: WaiverFact | None,
    now: datetime,
    repo_facts: Mapping | None = None,
) -> ItemState:
    """The status of one item. ``check_statuses`` is None when the repository has no finished run;
    ``repo_facts``: the engine's facts of that run (None: unknown, every item applies)."""
    if not applies(getattr(item, "applies_when", None), repo_facts):
        return ItemState(INAPPLICABLE, INAPPLICABLE, None)
    changes_at = None
    if item.manual or not item.checks:
        underlying, changes_at = manual_status(attestation, item.reattest_days, now)
    elif check_statuses is None:
        underlying = "pending"
    else:
        underlying = combine_statuses((check_statuses.get(c) for c in item.checks), item.combine)
    if waiver_active(waiver, now):
        end = waiver_end(waiver, now.tzinfo)
        return ItemState("waived", underlying, min(end, changes_at) if changes_at else end)
    return ItemState(underlying, underlying, changes_at)


def level_reached(statuses_by_level: Iterable[tuple[str, str]]) -> str:
    """The highest level whose items, and those of every level below it, all pass (or do not apply)."""
    blocked = {level for level, status in statuses_by_level if status not in LEVEL_NEUTRAL}
    reached = ""
    for level in LEVELS:
        if level in blocked:
            break
        reached = level
    return reached


def checklist_state(
    items: Iterable[ItemSpec],
    *,
    check_statuses: Mapping[str, str] | None,
    attestations: Mapping[str, AttestationFact],
    waivers: Mapping[str, WaiverFact],
    now: datetime,
    repo_facts: Mapping | None = None,
) -> dict:
    """Scores, level and item statuses of one checklist, as stored in snapshots and live states.
    ``repo_facts``: what the engine reported about the repository, for applicability.

    ``{"overall", "level", "categories": {id: {"title", "score"}}, "items": {key: status},
    "waived": n, "analysed": bool, "manual": n, "reviewed": n, "valid_until": ISO time or None}``

    ``overall`` is the readiness score (None without a finished analysis); ``manual`` counts the
    manual items and ``reviewed`` those not waiting for a first review (``todo``), a waived one
    counting as reviewed: the coverage shown beside the score.
    """
    items = list(items)
    states = {
        item.key: item_state(
            item,
            check_statuses=check_statuses,
            attestation=attestations.get(item.key),
            waiver=waivers.get(item.key),
            now=now,
            repo_facts=repo_facts,
        )
        for item in items
    }
    scored = [
        ScoredItem(item.category_id, LEVEL_WEIGHT.get(item.level, 1.0), SCORE_STATUS[states[item.key].status])
        for item in items
    ]
    overall, by_category = score_items(scored)
    analysed = check_statuses is not None
    if not analysed:  # no number at all before the first analysis: "not analysed", never a score
        by_category = {}
    categories: dict[str, dict] = {}
    for item in items:
        categories.setdefault(
            item.category_id, {"title": item.category_title, "score": by_category.get(item.category_id)}
        )
    changes = [s.changes_at for s in states.values() if s.changes_at is not None]
    manual = [s for s in states.values() if s.underlying in MANUAL_STATUSES]
    return {
        "overall": overall if analysed else None,
        "level": level_reached((item.level, states[item.key].status) for item in items),
        "categories": categories,
        "items": {key: state.status for key, state in states.items()},
        "waived": sum(1 for s in states.values() if s.status == "waived"),
        "analysed": analysed,
        "manual": len(manual),
        "reviewed": sum(1 for s in manual if s.status != "todo"),
        "valid_until": min(changes).isoformat() if changes else None,
    }
