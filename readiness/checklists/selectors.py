"""Read logic for checklists: a repository's checklists with item detail, item history, run
comparisons, and the team dashboard (a constant number of queries, whatever the team's size)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from readiness.checklists import status as item_status
from readiness.checklists.models import (
    AppliedChecklist,
    Attestation,
    ChecklistSnapshot,
    ChecklistTemplate,
    ItemNote,
    Waiver,
)
from readiness.engine.scoring import CATEGORY_TITLES
from readiness.repos.models import AnalysisRun, Repository, RunStatus

CATEGORY_ORDER = list(CATEGORY_TITLES)
STATUS_LABELS = {
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "error": "error",
    "na": "n/a",
    "pending": "not analysed",
    "done": "done",
    "todo": "to do",
    "due": "due again",
    "waived": "waived",
}
GOOD = {"pass", "done"}
BAD = {"fail", "error", "todo", "due"}


# Templates -----------------------------------------------------------------------------------


def template_list_for_team(*, team) -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.filter(Q(team__isnull=True) | Q(team=team), is_current=True).order_by(
        "-is_builtin", "title"
    )


def template_get_for_team(*, team, template_id: int) -> ChecklistTemplate:
    return get_object_or_404(
        ChecklistTemplate.objects.filter(Q(team__isnull=True) | Q(team=team)), pk=template_id
    )


def template_categories(*, template: ChecklistTemplate) -> list[dict]:
    categories: dict[str, dict] = {}
    for item in template.items.all():
        categories.setdefault(
            item.category_id, {"id": item.category_id, "title": item.category_title, "items": []}
        )
        categories[item.category_id]["items"].append(item)
    return list(categories.values())


# A repository's checklists ---------------------------------------------------------------------


def applied_get(*, repository, template_slug: str) -> AppliedChecklist:
    return get_object_or_404(
        AppliedChecklist.objects.select_related("template"),
        repository=repository,
        template__slug=template_slug,
    )


def checklists_for_repository(
    *, repository, now: datetime | None = None, only_slug: str | None = None
) -> dict:
    """Every applied checklist of a repository with each item's live status, evidence, fix,
    attestation, waiver and note count (computed now, not read from the stored state)."""
    from readiness.checklists.services import facts_for_repository

    now = now or timezone.now()
    applied_qs = (
        AppliedChecklist.objects.filter(repository=repository)
        .select_related("template")
        .prefetch_related("template__items")
    )
    if only_slug:
        applied_qs = applied_qs.filter(template__slug=only_slug)
    applied_list = list(applied_qs)
    # One read of each table: the facts come with their rows (results, ticks and waivers with people).
    facts = facts_for_repository(repository=repository, with_rows=True)
    run = facts["run"]
    results = facts["results"]
    current_attestations = facts["attestation_rows"]
    waivers = facts["waiver_rows"]
    note_counts: dict = defaultdict(int)
    latest_notes: dict = {}
    for note in (
        ItemNote.objects.filter(repository=repository).select_related("author").order_by("-created_at", "-id")
    ):
        ref = (note.template_slug, note.item_key)
        note_counts[ref] += 1
        latest_notes.setdefault(ref, note)

    checklists = []
    for applied in applied_list:
        slug = applied.template.slug
        items = list(applied.template.items.all())
        state = item_status.checklist_state(
            items,
            check_statuses=facts["check_statuses"],
            attestations={k: f for (s, k), f in facts["attestations"].items() if s == slug},
            waivers={k: f for (s, k), f in facts["waivers"].items() if s == slug},
            now=now,
        )
        categories: dict[str, dict] = {}
        for item in items:
            ref = (slug, item.key)
            waiver = waivers.get(ref)
            status = state["items"][item.key]
            entry = {
                "item": item,
                "status": status,
                "label": STATUS_LABELS.get(status, status),
                "results": [results[c] for c in item.checks if c in results],
                "attestation": current_attestations.get(ref),
                "waiver": waiver if status == "waived" else None,
                "notes": note_counts.get(ref, 0),
                "latest_note": latest_notes.get(ref),
                "underlying": _underlying(item, facts, slug, now),
            }
            category = categories.setdefault(
                item.category_id,
                {
                    "id": item.category_id,
                    "title": item.category_title,
                    "score": state["categories"][item.category_id]["score"],
                    "items": [],
                },
            )
            category["items"].append(entry)
        checklists.append(
            {
                "applied": applied,
                "template": applied.template,
                "state": state,
                "categories": list(categories.values()),
            }
        )
    return {"run": run, "checklists": checklists}


def _underlying(item, facts, slug, now) -> str:
    state = item_status.item_state(
        item,
        check_statuses=facts["check_statuses"],
        attestation=facts["attestations"].get((slug, item.key)),
        waiver=None,
        now=now,
    )
    return state.status


def checklist_item_entry(*, repository, template_slug: str, item_key: str) -> tuple[dict, dict]:
    """(the checklist, the item entry) for re-rendering one item row after an action."""
    data = checklists_for_repository(repository=repository, only_slug=template_slug)
    for checklist in data["checklists"]:
        for category in checklist["categories"]:
            for entry in category["items"]:
                if entry["item"].key == item_key:
                    return checklist, entry
    from django.http import Http404

    raise Http404


def item_history(*, repository, template_slug: str, item_key: str, limit: int = 100) -> list[dict]:
    """What happened to one item, newest first: status changes across runs, ticks, waivers, notes."""
    events = []
    previous = None
    for snapshot in (
        ChecklistSnapshot.objects.filter(repository=repository, template_slug=template_slug)
        .select_related("run")
        .order_by("taken_at", "id")
    ):
        status = snapshot.data.get("items", {}).get(item_key)
        if status is not None and status != previous:
            events.append(
                {
                    "at": snapshot.taken_at,
                    "kind": "run",
                    "text": f"Run #{snapshot.run_id}: {STATUS_LABELS.get(status, status)}",
                    "status": status,
                }
            )
            previous = status
    for a in Attestation.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key
    ).select_related("by"):
        verb = "undid the last change" if a.is_undo else ("ticked" if a.checked else "unticked")
        text = f"{a.by or 'someone'} {verb}"
        if a.evidence_url:
            text += f" (evidence: {a.evidence_url})"
        events.append(
            {
                "at": a.recorded_at,
                "kind": "attestation",
                "text": text,
                "status": "done" if a.checked else "todo",
            }
        )
    for w in Waiver.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key
    ).select_related("granted_by", "revoked_by"):
        events.append(
            {
                "at": w.created_at,
                "kind": "waiver",
                "text": f"{w.granted_by or 'someone'} waived it until {w.expires_on:%Y-%m-%d}: {w.reason}",
                "status": "waived",
            }
        )
        if w.revoked_at:
            events.append(
                {
                    "at": w.revoked_at,
                    "kind": "waiver",
                    "text": f"{w.revoked_by or 'someone'} ended the waiver",
                    "status": "",
                }
            )
    for n in ItemNote.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key
    ).select_related("author"):
        events.append(
            {"at": n.created_at, "kind": "note", "text": f"{n.author or 'someone'}: {n.text}", "status": ""}
        )
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


# Comparison ----------------------------------------------------------------------------------


def runs_for_compare(*, repository) -> QuerySet[AnalysisRun]:
    return AnalysisRun.objects.filter(repository=repository, status=RunStatus.SUCCEEDED).order_by(
        "-finished_at", "-id"
    )


def run_on_or_before(*, repository, when: datetime) -> AnalysisRun | None:
    return runs_for_compare(repository=repository).filter(finished_at__lte=when).first()


def run_at_end_of_day(*, repository, day) -> AnalysisRun | None:
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return run_on_or_before(repository=repository, when=end - timedelta(microseconds=1))


def default_compare_runs(*, repository) -> tuple[AnalysisRun | None, AnalysisRun | None]:
    """The latest run against the one a week earlier (or, failing that, the earliest one)."""
    after = runs_for_compare(repository=repository).first()
    if after is None:
        return None, None
    before = run_on_or_before(repository=repository, when=after.finished_at - timedelta(days=7))
    if before is None:
        before = (
            runs_for_compare(repository=repository).exclude(pk=after.pk).order_by("finished_at", "id").first()
        )
    return before, after


def compare_status(before: float | None, after: float | None) -> str:
    if before is None and after is None:
        return "Not applicable"
    if before is None:
        return "New"
    if after is None:
        return "Removed"
    if after == before:
        return "Maintained"
    if after > before:
        return "Fixed" if after == 10 else "Improved"
    return "Regressed"


def _item_change(before: str | None, after: str | None) -> str:
    if before is None:
        return "New"
    if after is None:
        return "Removed"
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


def _fmt(score) -> str:
    return "n/a" if score is None else f"{score:.1f}/10"


def _run_label(run) -> str:
    commit = f", {run.commit_sha[:10]}" if run.commit_sha else ""
    return f"run #{run.pk} ({run.finished_at:%Y-%m-%d}{commit})"


def comparison_markdown(comparison: dict, *, repository, template) -> str:
    before, after = comparison["before"].run, comparison["after"].run
    lines = [
        f"### Readiness of {repository.name}: {template.title}",
        "",
        f"Before: {_run_label(before)} · After: {_run_label(after)}",
        "",
        "| Category | Before | After | Status |",
        "|----------|--------|-------|--------|",
    ]
    for row in comparison["rows"]:
        lines.append(f"| {row['title']} | {_fmt(row['before'])} | {_fmt(row['after'])} | {row['status']} |")
    o = comparison["overall"]
    lines.append(f"| **Overall** | **{_fmt(o['before'])}** | **{_fmt(o['after'])}** | {o['status']} |")
    lines.append("")
    if comparison["changes"]:
        lines += ["#### Items that changed", ""]
        for c in comparison["changes"]:
            checks = f" (`{'`, `'.join(c['checks'])}`)" if c["checks"] else ""
            lines.append(
                f"- **{c['title']}**{checks}, {c['category']}: {c['before']} → {c['after']} ({c['change']})"
            )
    else:
        lines.append("No item changed.")
    return "\n".join(lines) + "\n"


def comparison_csv_rows(comparison: dict) -> list[list[str]]:
    rows = [["kind", "category", "item", "before", "after", "status"]]
    for row in comparison["rows"]:
        rows.append(
            ["category", row["title"], "", _csv_score(row["before"]), _csv_score(row["after"]), row["status"]]
        )
    o = comparison["overall"]
    rows.append(["overall", "Overall", "", _csv_score(o["before"]), _csv_score(o["after"]), o["status"]])
    for c in comparison["changes"]:
        rows.append(["item", c["category"], c["title"], c["before"], c["after"], c["change"]])
    return rows


def _csv_score(score) -> str:
    return "" if score is None else f"{score:.1f}"


# Dashboard -----------------------------------------------------------------------------------

LEVEL_RANK = Case(
    When(primary_level="gold", then=Value(3)),
    When(primary_level="silver", then=Value(2)),
    When(primary_level="bronze", then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
SORTS = {
    "name": [Lower("name")],
    "-name": [Lower("name").desc()],
    "score": [F("primary_overall").asc(nulls_first=True), Lower("name")],
    "-score": [F("primary_overall").desc(nulls_last=True), Lower("name")],
    "level": ["level_rank", Lower("name")],
    "-level": ["-level_rank", Lower("name")],
    "run": [F("latest_finished_at").desc(nulls_last=True), Lower("name")],
}
LEVEL_FILTERS = ("gold", "silver", "bronze", "none")
RUN_FILTERS = ("succeeded", "failed", "running", "queued", "never")


def _latest_run():
    return AnalysisRun.objects.filter(repository=OuterRef("pk")).order_by("-queued_at", "-id")


def _primary():
    return AppliedChecklist.objects.filter(repository=OuterRef("pk"), primary=True)


def dashboard_repository_ids(
    *, team, q: str = "", level: str = "", run_status: str = "", sort: str = "name"
) -> QuerySet:
    """The ids of the team's repositories, filtered, searched and sorted in the database. Only the
    columns a filter or the sort needs are computed, so paging deep into a large team stays cheap."""
    qs = Repository.objects.filter(team=team)
    if level or sort in ("level", "-level"):
        qs = qs.annotate(primary_level=Subquery(_primary().values("level")[:1]), level_rank=LEVEL_RANK)
    if sort in ("score", "-score"):
        qs = qs.annotate(primary_overall=Subquery(_primary().values("overall")[:1]))
    if run_status or sort == "run":
        qs = qs.annotate(
            latest_status=Subquery(_latest_run().values("status")[:1]),
            latest_finished_at=Subquery(_latest_run().values("finished_at")[:1]),
        )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(url__icontains=q))
    if level == "none":
        qs = qs.filter(Q(primary_level="") | Q(primary_level__isnull=True))
    elif level in LEVEL_FILTERS:
        qs = qs.filter(primary_level=level)
    if run_status == "never":
        qs = qs.filter(latest_status__isnull=True)
    elif run_status in RUN_FILTERS:
        qs = qs.filter(latest_status=run_status)
    return qs.order_by(*SORTS.get(sort, SORTS["name"])).values_list("pk", flat=True)


def dashboard_repositories_by_ids(*, ids: list[int]) -> list[Repository]:
    """One page of repositories with the latest run and the primary checklist's score and level."""
    rows = Repository.objects.filter(pk__in=ids).annotate(
        latest_status=Subquery(_latest_run().values("status")[:1]),
        latest_finished_at=Subquery(_latest_run().values("finished_at")[:1]),
        latest_commit=Subquery(_latest_run().values("commit_sha")[:1]),
        primary_overall=Subquery(_primary().values("overall")[:1]),
        primary_level=Subquery(_primary().values("level")[:1]),
    )
    by_id = {r.pk: r for r in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def dashboard_rows(*, repositories: list, weeks: int = 12, now: datetime | None = None) -> dict:
    """Heat map and sparkline data for one page of repositories: two queries, whatever its size."""
    now = now or timezone.now()
    ids = [r.pk for r in repositories]
    states = {
        a.repository_id: a
        for a in AppliedChecklist.objects.filter(repository_id__in=ids, primary=True).only(
            "repository_id", "state", "template_id", "badge_token", "overall", "level"
        )
    }
    since = now - timedelta(weeks=weeks)
    points: dict[int, list] = defaultdict(list)
    template_of = {rid: a.template_id for rid, a in states.items()}
    for rid, tid, taken_at, overall in (
        ChecklistSnapshot.objects.filter(repository_id__in=ids, taken_at__gte=since)
        .order_by("taken_at", "id")
        .values_list("repository_id", "template_id", "taken_at", "overall")
    ):
        if template_of.get(rid) == tid:
            points[rid].append((taken_at, overall))
    endpoints = _endpoint_states(ids)
    category_ids: list[str] = []
    titles: dict[str, str] = {}
    for a in states.values():
        for cid, c in a.state.get("categories", {}).items():
            if cid not in titles:
                titles[cid] = c["title"]
                category_ids.append(cid)
    category_ids.sort(key=lambda c: (CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99, c))
    rows = []
    for repo in repositories:
        applied = states.get(repo.pk)
        categories = applied.state.get("categories", {}) if applied else {}
        rows.append(
            {
                "repository": repo,
                "applied": applied,
                "waived": applied.state.get("waived", 0) if applied else 0,
                "cells": [
                    _heat_cell(cid, titles[cid], (categories.get(cid) or {}).get("score"))
                    for cid in category_ids
                ],
                "weekly": weekly_points(points.get(repo.pk, []), weeks=weeks, now=now),
                "endpoints": endpoints.get(repo.pk),
            }
        )
    return {"rows": rows, "categories": [{"id": c, "title": titles[c]} for c in category_ids]}


def _endpoint_states(ids: list[int]) -> dict[int, dict]:
    """Per repository: how many enabled endpoints are up, down and not probed yet (one query)."""
    from readiness.endpoints.models import Endpoint

    states: dict[int, dict] = {}
    rows = (
        Endpoint.objects.filter(repository_id__in=ids, enabled=True)
        .order_by()
        .values_list("repository_id", "state")
        .annotate(n=Count("id"))
    )
    for repository_id, state, n in rows:
        entry = states.setdefault(repository_id, {"up": 0, "down": 0, "unknown": 0, "total": 0})
        entry[state if state in entry else "unknown"] += n
        entry["total"] += n
    return states


def _heat_cell(category_id: str, title: str, score: float | None) -> dict:
    """A heat map cell, formatted here (floatformat in the template costs more than the queries)."""
    if score is None:
        return {"id": category_id, "title": title, "text": "·", "css": "heat-none"}
    css = "heat-good" if score >= 8 else "heat-fair" if score >= 5 else "heat-poor"
    return {"id": category_id, "title": title, "text": f"{score:.1f}", "css": css}


def weekly_trends_for_repository(*, repository, weeks: int = 12, now: datetime | None = None) -> dict:
    """{template id: weekly overall scores, oldest first} over the last ``weeks`` weeks (one query)."""
    now = now or timezone.now()
    points: dict[int, list] = defaultdict(list)
    for template_id, taken_at, overall in (
        ChecklistSnapshot.objects.filter(repository=repository, taken_at__gte=now - timedelta(weeks=weeks))
        .order_by("taken_at", "id")
        .values_list("template_id", "taken_at", "overall")
    ):
        points[template_id].append((taken_at, overall))
    return {tid: weekly_points(p, weeks=weeks, now=now) for tid, p in points.items()}


def weekly_points(
    points: list[tuple[datetime, float | None]], *, weeks: int, now: datetime
) -> list[float | None]:
    """The last score of each of the last ``weeks`` weeks (oldest first), carried forward."""
    values: list[float | None] = [None] * weeks
    start = now - timedelta(weeks=weeks)
    for taken_at, overall in points:
        index = int((taken_at - start) / timedelta(weeks=1))
        if 0 <= index < weeks and overall is not None:
            values[index] = overall
    last = None
    for i, value in enumerate(values):
        if value is None and last is not None:
            values[i] = last
        last = values[i]
    return values


def team_summaries(*, teams: list) -> list[dict]:
    """Per team: repository count, mean primary score, level counts, the lowest scoring few."""
    by_team: dict[int, dict] = {
        t.pk: {"team": t, "count": 0, "scores": [], "levels": defaultdict(int), "lowest": []} for t in teams
    }
    rows = (
        Repository.objects.filter(team__in=teams)
        .annotate(
            primary_overall=Subquery(
                AppliedChecklist.objects.filter(repository=OuterRef("pk"), primary=True).values("overall")[:1]
            ),
            primary_level=Subquery(
                AppliedChecklist.objects.filter(repository=OuterRef("pk"), primary=True).values("level")[:1]
            ),
        )
        .values_list("team_id", "name", "slug", "primary_overall", "primary_level")
    )
    for team_id, name, slug, overall, level in rows:
        entry = by_team[team_id]
        entry["count"] += 1
        entry["levels"][level or "none"] += 1
        if overall is not None:
            entry["scores"].append(overall)
            entry["lowest"].append((overall, name, slug))
    summaries = []
    for entry in by_team.values():
        scores = entry.pop("scores")
        entry["mean"] = round(sum(scores) / len(scores), 1) if scores else None
        entry["lowest"] = [{"score": s, "name": n, "slug": sl} for s, n, sl in sorted(entry["lowest"])[:3]]
        entry["levels"] = {lvl: entry["levels"].get(lvl, 0) for lvl in ("gold", "silver", "bronze", "none")}
        summaries.append(entry)
    return summaries


def applied_by_badge_token(*, token: str) -> AppliedChecklist:
    return get_object_or_404(
        AppliedChecklist.objects.select_related("repository").only(
            "overall", "level", "badge_token", "state_valid_until", "repository"
        ),
        badge_token=token,
        primary=True,
    )
