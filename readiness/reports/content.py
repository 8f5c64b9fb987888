"""What the weekly e-mail says, from data already loaded (no queries): how each repository moved
between the start and the end of the week, the checks that newly fail or were fixed (grouped by
check), the three things to do next across the team, and the subject line.

Items are compared by their status at the two moments. A status with a verdict ranks
pass/done > warn > fail/error; an item that goes down that ladder regressed, up it was fixed; an
automated item that did not apply (``na``) and now passes was *added*, which is not a fix. Manual
items waiting for review, waived and not-analysed items have no verdict and move neither way, except
that a waiver ending on a failing item counts as newly failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readiness.checklists.score import ScoreChange
from readiness.checklists.status import LEVEL_WEIGHT, LEVELS

RANK = {"pass": 2, "done": 2, "warn": 1, "fail": 0, "error": 0}
GOOD = {"pass", "done"}
FAILING = {"fail", "error", "warn"}
LEVEL_RANK = {"": 0, **{level: i + 1 for i, level in enumerate(LEVELS)}}
MAX_FILES = 5  # per check in the e-mail; "and N more" after
MAX_SUBJECT_REPOSITORIES = 2
NEXT_STEPS = 3


def level_title(level: str) -> str:
    return level.capitalize() if level else "no level"


@dataclass
class CheckGroup:
    """One check that newly fails (or was fixed) in a repository, with every item it decides."""

    check_id: str
    title: str
    status: str
    level: str
    items: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    fix: str = ""
    url: str = ""

    @property
    def more_files(self) -> int:
        return max(0, len(self.files) - MAX_FILES)

    @property
    def shown_files(self) -> list[str]:
        return self.files[:MAX_FILES]


def _regressed(before: str | None, after: str | None) -> bool:
    if after not in FAILING:
        return False
    if before in RANK:
        return RANK[after] < RANK[before]
    # A check that starts to apply and fails, or a failing item whose waiver ended.
    return before in {"na", "waived", None}


def _fixed(before: str | None, after: str | None) -> bool:
    return before in FAILING and after in RANK and RANK[after] > RANK[before]


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:240]
    return ""


def _better_level(a: str, b: str) -> str:
    """The lower (more urgent) of two levels: bronze before silver before gold."""
    return a if LEVEL_RANK.get(a, 9) <= LEVEL_RANK.get(b, 9) else b


def _add(groups: dict, check_id: str, item, result, status: str, item_url) -> CheckGroup:
    """The group of ``check_id`` in ``groups`` (made on first sight), with ``item`` added to it."""
    group = groups.get(check_id)
    if group is None:
        group = groups[check_id] = CheckGroup(
            check_id=check_id,
            title=(result.title if result else "") or item.title,
            status=status,
            level=item.level,
            fix=_first_line(item.fix) or _first_line(result.remediation if result else ""),
            url=item_url(item.key),
        )
    group.items.append(item.title)
    group.level = _better_level(group.level, item.level)
    return group


def compare_items(
    *,
    items,
    before: dict | None,
    after: dict | None,
    before_checks: dict | None,
    after_checks: dict | None,
    results: dict,
    item_url,
) -> dict:
    """``{"failing": [CheckGroup], "fixed": [CheckGroup], "added": [titles], "reviewed": [titles]}``
    for one repository. ``before``/``after`` are checklist states (``{"items": {key: status}}``),
    ``*_checks`` the check statuses of the runs they were computed from, ``results`` the after
    run's CheckResult rows by check id (title, evidence, remediation)."""
    out = {"failing": {}, "fixed": {}, "added": [], "reviewed": []}
    if not before or not after:
        return {"failing": [], "fixed": [], "added": [], "reviewed": []}
    b_items, a_items = before.get("items", {}), after.get("items", {})
    b_checks, a_checks = before_checks or {}, after_checks or {}
    for item in items:
        b, a = b_items.get(item.key), a_items.get(item.key)
        if item.manual or not item.checks:
            if a == "done" and b != "done":
                out["reviewed"].append(item.title)
            continue
        if b in {"na", None} and a in GOOD:
            out["added"].append(item.title)
            continue
        kind = "failing" if _regressed(b, a) else "fixed" if _fixed(b, a) else None
        if kind is None:
            continue
        test = _regressed if kind == "failing" else _fixed
        checks = [c for c in item.checks if test(b_checks.get(c), a_checks.get(c))]
        if not checks:  # the item moved while no single check did ("any" items): name its own
            checks = [c for c in item.checks if (a_checks.get(c) in FAILING) == (kind == "failing")][:1]
        for check_id in checks or item.checks[:1]:
            result = results.get(check_id)
            group = _add(out[kind], check_id, item, result, a_checks.get(check_id) or a or "", item_url)
            if kind == "failing" and result is not None:
                files = {
                    e.get("file") for e in result.evidence or [] if isinstance(e, dict) and e.get("file")
                }
                group.files = sorted(set(group.files) | files)
    order = lambda g: (LEVEL_RANK.get(g.level, 9), g.title)  # noqa: E731 (bronze first)
    return {
        "failing": sorted(out["failing"].values(), key=order),
        "fixed": sorted(out["fixed"].values(), key=order),
        "added": out["added"],
        "reviewed": out["reviewed"],
    }


def _change(name: str, before: dict, after: dict) -> ScoreChange:
    return ScoreChange(name, before.get("value"), after.get("value"), before["level"], after["level"])


def movement(before: dict, after: dict, changes: dict) -> str:
    """``worse``, ``better``, ``new``, ``same`` or ``unscored`` for one repository, from its two
    readiness scores (``{"value", "level"}``), as the dashboard's headline counts them
    (``checklists.score.ScoreChange``): worse when its score or its level dropped, better when
    either rose and neither dropped. Its newly failing checks are listed whatever the count says
    (``summary`` names them too)."""
    return _change("", before, after).movement


def change_phrase(row: dict) -> str:
    """ "api 8.1 → 6.0", "worker lost Silver", "web reached Gold": the dashboard headline's words."""
    return _change(row["name"], row["before"], row["after"]).phrase


def delta_text(row: dict) -> str:
    """The repository's move without its name: "8.1 → 6.0, lost Silver", "7.5 (new)", "6.0, unchanged"."""
    before, after = row["before"], row["after"]
    if after["value"] is None:
        score = after["text"]
    elif before["value"] is None:
        score = f"{after['text']} (new)"
    elif before["value"] == after["value"]:
        score = f"{after['text']}, unchanged"
    else:
        score = f"{before['value']:.1f} → {after['value']:.1f}"
    b, a = LEVEL_RANK.get(before["level"], 0), LEVEL_RANK.get(after["level"], 0)
    if before["value"] is not None and a < b:
        return f"{score}, lost {level_title(before['level'])}"
    if before["value"] is not None and a > b:
        return f"{score}, reached {level_title(after['level'])}"
    return score


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary(rows: list[dict]) -> str:
    """The subject's words after the team: regressions first, else progress, else no change."""

    def rise(row) -> float:
        b, a = row["before"]["value"], row["after"]["value"]
        return (a - b) if a is not None and b is not None else 0.0

    # Largest drop (or rise) first, then by name; a level change alone counts as a small move.
    worse = sorted((r for r in rows if r["movement"] == "worse"), key=lambda r: (rise(r), r["name"].lower()))
    better = sorted(
        (r for r in rows if r["movement"] == "better"), key=lambda r: (-rise(r), r["name"].lower())
    )
    new = [r for r in rows if r["movement"] == "new"]

    def named(group):
        phrases = [change_phrase(r) for r in group[:MAX_SUBJECT_REPOSITORIES]]
        more = len(group) - len(phrases)
        return ", ".join(phrases) + (f" and {more} more" if more else "")

    if worse:
        return f"{_count(len(worse), 'repository', 'repositories')} got worse: {named(worse)}"
    # No repository's score or level dropped, but a check that passed fails now: still said first.
    failing = sum(len(r["changes"]["failing"]) for r in rows)
    regressions = f"{_count(failing, 'check', 'checks')} newly failing; " if failing else ""
    if better:
        return f"{regressions}{_count(len(better), 'repository', 'repositories')} got better: {named(better)}"
    if new:
        firsts = ", ".join(f"{r['name']} {r['after']['text']}" for r in new[:MAX_SUBJECT_REPOSITORIES])
        more = len(new) - min(len(new), MAX_SUBJECT_REPOSITORIES)
        return f"{regressions}first scores: " + firsts + (f" and {more} more" if more else "")
    return f"{regressions}no change" if not failing else f"{_count(failing, 'check', 'checks')} newly failing"


def next_steps(rows: list[dict], *, limit: int = NEXT_STEPS) -> list[dict]:
    """The checks to fix first across the team: those standing between a repository and its next
    level, then the highest weight x number of repositories (bronze items weigh 3, silver 2, gold 1)."""
    steps: dict[str, dict] = {}
    for row in rows:
        next_level = LEVEL_RANK.get(row["after"]["level"], 0) + 1
        for group in row["failing_now"]:
            step = steps.setdefault(
                group.check_id,
                {
                    "check_id": group.check_id,
                    "title": group.title,
                    "level": group.level,
                    "repositories": [],
                    "gates": [],
                    "fix": group.fix,
                    "url": group.url,
                },
            )
            step["repositories"].append(row["name"])
            step["level"] = _better_level(step["level"], group.level)
            if LEVEL_RANK.get(group.level, 0) == next_level:
                step["gates"].append((group.level, row["name"]))
            step["fix"] = step["fix"] or group.fix
    for step in steps.values():
        step["weight"] = LEVEL_WEIGHT.get(step["level"], 1.0) * len(step["repositories"])
        # "Bronze for api, worker; Silver for web"
        by_level: dict[str, list[str]] = {}
        for level, name in step["gates"]:
            by_level.setdefault(level, []).append(name)
        step["gates"] = [f"{level_title(level)} for {', '.join(names)}" for level, names in by_level.items()]
    ranked = sorted(steps.values(), key=lambda s: (not s["gates"], -s["weight"], s["title"]))
    return ranked[:limit]


def failing_now(*, items, after: dict | None, after_checks: dict | None, results: dict, item_url) -> list:
    """Every check failing at the end of the week in one repository, grouped as ``compare_items``."""
    if not after:
        return []
    groups: dict[str, CheckGroup] = {}
    for item in items:
        if item.manual or not item.checks or after.get("items", {}).get(item.key) not in FAILING:
            continue
        for check_id in [c for c in item.checks if (after_checks or {}).get(c) in FAILING] or item.checks[:1]:
            status = (after_checks or {}).get(check_id, "")
            _add(groups, check_id, item, results.get(check_id), status, item_url)
    return list(groups.values())


def duration_text(seconds: float) -> str:
    """ "45 s", "12 min", "3 h 5 min", "2 days 4 h"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{_count(days, 'day', 'days')} {hours} h" if hours else _count(days, "day", "days")


def coverage_text(seconds: float) -> str:
    """How long a figure was measured: "6 days", "6.5 days", "5 hours", "6 minutes"."""
    seconds = max(0, seconds)
    if seconds >= 86400:
        days = round(seconds / 86400, 1)
        text = f"{days:.1f}".removesuffix(".0")
        return f"{text} day" if text == "1" else f"{text} days"
    if seconds >= 3600:
        return _count(round(seconds / 3600), "hour", "hours")
    return _count(max(1, round(seconds / 60)), "minute", "minutes")


def uptime_text(ok: int, total: int) -> str:
    """ "99.2%": rounded down, so an endpoint that failed once never reads 100%."""
    if not total:
        return "n/a"
    tenths = ok * 1000 // total
    return f"{tenths // 10}.{tenths % 10}%"
