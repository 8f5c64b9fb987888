"""Read logic for the team dashboard and the home page's team summaries: repositories with their
latest run, primary checklist, weekly trend and endpoints, in a constant number of queries whatever
the team's size."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot
from readiness.checklists.selectors.history import weekly_points
from readiness.checklists.selectors.items import CATEGORY_ORDER
from readiness.endpoints.selectors import endpoint_counts_for_repositories
from readiness.repos.models import AnalysisRun, Repository

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
    return AnalysisRun.objects.of_outer_repository()


def _primary():
    return AppliedChecklist.objects.filter(repository=OuterRef("pk"), primary=True)


def dashboard_repository_ids(
    *, team, q: str = "", level: str = "", run_status: str = "", sort: str = "name"
) -> QuerySet:
    """The ids of the team's repositories, filtered, searched and sorted in the database. Only the
    columns a filter or the sort needs are computed, so paging deep into a large team stays cheap."""
    qs = Repository.objects.active().filter(team=team)
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
    endpoints = endpoint_counts_for_repositories(ids)
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


def _heat_cell(category_id: str, title: str, score: float | None) -> dict:
    """A heat map cell, formatted here (floatformat in the template costs more than the queries)."""
    if score is None:
        return {"id": category_id, "title": title, "text": "·", "css": "heat-none"}
    css = "heat-good" if score >= 8 else "heat-fair" if score >= 5 else "heat-poor"
    return {"id": category_id, "title": title, "text": f"{score:.1f}", "css": css}


def team_summaries(*, teams: list) -> list[dict]:
    """Per team: repository count, mean primary score, level counts, the lowest scoring few."""
    by_team: dict[int, dict] = {
        t.pk: {"team": t, "count": 0, "scores": [], "levels": defaultdict(int), "lowest": []} for t in teams
    }
    rows = (
        Repository.objects.active()
        .filter(team__in=teams)
        .annotate(
            primary_overall=Subquery(_primary().values("overall")[:1]),
            primary_level=Subquery(_primary().values("level")[:1]),
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
