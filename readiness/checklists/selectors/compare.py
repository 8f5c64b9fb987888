"""Comparing two runs of a repository: which runs, and the EVALUATION table between two snapshots."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from readiness.checklists.models import ChecklistSnapshot, ChecklistTemplate
from readiness.checklists.score import score_from_state
from readiness.checklists.selectors.items import STATUS_LABELS

# The words for how a score moved live with the Markdown table in the engine (also the CLI's).
from readiness.engine.output.markdown import compare_status
from readiness.repos.models import AnalysisRun

GOOD = {"pass", "done"}
BAD = {"fail", "error", "todo", "due"}


def runs_for_compare(*, repository) -> QuerySet[AnalysisRun]:
    """Every succeeded run (head, branch, tag, commit, backfilled), newest first in history order:
    a backfilled commit sits at its commit date."""
    return AnalysisRun.objects.filter(repository=repository).history_newest_first()


COMMIT_PREFIX = re.compile(r"[0-9a-f]{4,64}")


def run_of_commit(*, repository, commit: str) -> AnalysisRun | None:
    """The latest succeeded run (history order) whose commit starts with ``commit`` (4 to 64 hex
    digits, any case); None when there is none, or when ``commit`` is not such a prefix."""
    commit = commit.strip().lower()
    if not COMMIT_PREFIX.fullmatch(commit):
        return None
    return runs_for_compare(repository=repository).filter(commit_sha__startswith=commit).first()


def run_on_or_before(*, repository, when: datetime) -> AnalysisRun | None:
    return runs_for_compare(repository=repository).filter(history_at__lte=when).first()


def run_at_end_of_day(*, repository, day) -> AnalysisRun | None:
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return run_on_or_before(repository=repository, when=end - timedelta(microseconds=1))


def default_compare_runs(*, repository) -> tuple[AnalysisRun | None, AnalysisRun | None]:
    """The current run (the latest of the tracked branch's head) against the one a week earlier in
    history (a backfilled commit counts at its commit date), or failing that the earliest one."""
    after = AnalysisRun.objects.filter(repository=repository).finished_newest_first().first()
    after = after or runs_for_compare(repository=repository).first()
    if after is None:
        return None, None
    runs = runs_for_compare(repository=repository).exclude(pk=after.pk)
    before = runs.filter(history_at__lte=after.history_time - timedelta(days=7)).first()
    if before is None:
        before = runs.order_by("history_at", "finished_at", "id").first()
    return before, after


NOT_APPLYING = {"na", "pending"}


def _item_change(before: str | None, after: str | None) -> str:
    """How one item moved between two runs. An item that starts to apply and passes is "Added"
    (nothing was fixed); a manual item ticked for the first time is "Reviewed", since an item
    nobody had reviewed was not failing (docs/scoring.md)."""
    if before is None:
        return "New"
    if after is None:
        return "Removed"
    if before in NOT_APPLYING and after in GOOD:
        return "Added"
    if after in NOT_APPLYING and before not in NOT_APPLYING and before != "waived":
        return "No longer applies"
    if before == "todo" and after == "done":
        return "Reviewed"
    if before == "done" and after == "due":
        return "Fell due"
    if before == "done" and after == "todo":
        return "Unticked"
    if after in GOOD and before not in GOOD:
        return "Fixed"
    if before in GOOD and after not in GOOD:
        return "Regressed"
    if after == "waived":
        return "Waived"
    if before == "waived":
        return "Waiver ended"
    if before in BAD and after not in BAD:
        return "Improved"
    if after in BAD and before not in BAD:
        return "Regressed"
    return "Changed"


def compare_snapshots(
    *, before: ChecklistSnapshot, after: ChecklistSnapshot, template: ChecklistTemplate
) -> dict:
    """The EVALUATION table: Category | Before | After | Status, an overall row, the changed items."""
    b, a = before.data, after.data
    # jsonb does not keep key order: categories follow the template (then any that left it).
    template_order = list(dict.fromkeys(i.category_id for i in template.items.all()))
    seen = set(b.get("categories", {})) | set(a.get("categories", {}))
    category_ids = [c for c in template_order if c in seen] + sorted(seen - set(template_order))
    rows = []
    for cid in category_ids:
        bc, ac = b.get("categories", {}).get(cid), a.get("categories", {}).get(cid)
        title = (ac or bc)["title"]
        bs, as_ = (bc or {}).get("score"), (ac or {}).get("score")
        rows.append(
            {"id": cid, "title": title, "before": bs, "after": as_, "status": compare_status(bs, as_)}
        )
    overall = {
        "before": b.get("overall"),
        "after": a.get("overall"),
        "status": compare_status(b.get("overall"), a.get("overall")),
        "level_before": b.get("level", ""),
        "level_after": a.get("level", ""),
        # The readiness score as of each run's end, as the pages write it (with its coverage).
        "score_before": score_from_state(b),
        "score_after": score_from_state(a),
    }
    titles = {i.key: i for i in template.items.all()}
    changes = []
    bi, ai = b.get("items", {}), a.get("items", {})
    for key in list(bi) + [k for k in ai if k not in bi]:
        if bi.get(key) == ai.get(key):
            continue
        item = titles.get(key)
        changes.append(
            {
                "key": key,
                "title": item.title if item else key,
                "category": item.category_title if item else "",
                "checks": item.checks if item else [],
                "before": STATUS_LABELS.get(bi.get(key), bi.get(key) or "—"),
                "after": STATUS_LABELS.get(ai.get(key), ai.get(key) or "—"),
                "change": _item_change(bi.get(key), ai.get(key)),
            }
        )
    return {"rows": rows, "overall": overall, "changes": changes, "before": before, "after": after}
