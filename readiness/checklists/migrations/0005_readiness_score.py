"""The readiness score (docs/scoring.md): manual items nobody has reviewed yet (``todo``) are left
out of the score instead of counting as failures, a repository with no finished analysis has no
score, and states carry the coverage (``manual``, ``reviewed``) and ``analysed``. Recomputes every
stored live state and run snapshot from its stored item statuses (nothing else changes)."""

from collections import defaultdict

from django.db import migrations

from readiness.engine.scoring import ScoredItem, score_items

LEVEL_WEIGHT = {"bronze": 3.0, "silver": 2.0, "gold": 1.0}
# As readiness/checklists/status.py's SCORE_STATUS when this migration was written.
SCORE_STATUS = {
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "error": "error",
    "na": "na",
    "pending": "na",
    "waived": "na",
    "done": "pass",
    "todo": "na",
    "due": "fail",
    "inapplicable": "na",
}
BATCH = 500


def _rescore(data: dict, items: list, analysed: bool) -> dict:
    statuses = data.get("items") or {}
    present = [i for i in items if i.key in statuses]
    overall, by_category = score_items(
        ScoredItem(i.category_id, LEVEL_WEIGHT.get(i.level, 1.0), SCORE_STATUS.get(statuses[i.key], "error"))
        for i in present
    )
    categories = dict(data.get("categories") or {})
    for cid, entry in categories.items():
        categories[cid] = {**entry, "score": by_category.get(cid) if analysed else None}
    manual = [i for i in present if (i.manual or not i.checks) and statuses[i.key] != "inapplicable"]
    return {
        **data,
        "overall": overall if analysed else None,
        "categories": categories,
        "analysed": analysed,
        "manual": len(manual),
        "reviewed": sum(1 for i in manual if statuses[i.key] != "todo"),
    }


def forwards(apps, schema_editor):
    TemplateItem = apps.get_model("checklists", "TemplateItem")
    AppliedChecklist = apps.get_model("checklists", "AppliedChecklist")
    ChecklistSnapshot = apps.get_model("checklists", "ChecklistSnapshot")
    AnalysisRun = apps.get_model("repos", "AnalysisRun")
    items = defaultdict(list)
    for item in TemplateItem.objects.only("template_id", "key", "category_id", "level", "manual", "checks"):
        items[item.template_id].append(item)
    analysed = set(
        AnalysisRun.objects.filter(status="succeeded").values_list("repository_id", flat=True).distinct()
    )
    batch = []
    for applied in AppliedChecklist.objects.only("id", "template_id", "repository_id", "state").iterator():
        if not applied.state:
            continue
        applied.state = _rescore(applied.state, items[applied.template_id], applied.repository_id in analysed)
        applied.overall = applied.state["overall"]
        batch.append(applied)
        if len(batch) >= BATCH:
            AppliedChecklist.objects.bulk_update(batch, ["state", "overall"])
            batch = []
    AppliedChecklist.objects.bulk_update(batch, ["state", "overall"])
    batch = []
    for snapshot in ChecklistSnapshot.objects.only("id", "template_id", "data").iterator():
        snapshot.data = _rescore(snapshot.data or {}, items[snapshot.template_id], True)
        snapshot.overall = snapshot.data["overall"]
        batch.append(snapshot)
        if len(batch) >= BATCH:
            ChecklistSnapshot.objects.bulk_update(batch, ["data", "overall"])
            batch = []
    ChecklistSnapshot.objects.bulk_update(batch, ["data", "overall"])


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0004_builtin_conditions"),
        ("repos", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
