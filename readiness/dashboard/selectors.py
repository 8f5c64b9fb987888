"""Read logic for the team dashboard and the home page's team summaries: repositories with their
latest run, primary checklist, weekly trend and endpoints, in a constant number of queries whatever
the team's size."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot
from readiness.checklists.score import score_from_state, team_headline, team_score_changes, worse_first
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
    if level or sort in ("level", "-level", "score", "-score"):
        # A join on the primary checklist (at most one per repository), not a subquery per row:
        # sorting 2,000 repositories by score costs PostgreSQL 4.7 ms instead of 7.
        qs = qs.annotate(
            primary_checklist=FilteredRelation("checklists", condition=Q(checklists__primary=True))
        )
    if level or sort in ("level", "-level"):
        qs = qs.annotate(primary_level=F("primary_checklist__level"), level_rank=LEVEL_RANK)
    if sort in ("score", "-score"):
        qs = qs.annotate(primary_overall=F("primary_checklist__overall"))
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
    """One page of repositories, the columns the table shows, with their latest run's status, commit
    and error (the primary checklist comes with ``dashboard_rows``)."""
    latest = _latest_run()
    rows = (
        Repository.objects.filter(pk__in=ids)
        .only("team_id", "name", "slug")
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_commit=Subquery(latest.values("commit_sha")[:1]),
            latest_error=Subquery(latest.values("error")[:1]),
        )
    )
    by_id = {r.pk: r for r in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def dashboard_rows(
    *, repositories: list, weeks: int = 12, now: datetime | None = None, endpoint_counts: dict | None = None
) -> dict:
    """Heat map and sparkline data for one page of repositories: three queries, whatever its size;
    two when the caller has the team's ``endpoint_counts`` already (``dashboard_endpoints``)."""
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
    endpoints = endpoint_counts if endpoint_counts is not None else endpoint_counts_for_repositories(ids)
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
                "score": score_from_state(
                    applied.state if applied else None,
                    run_status=repo.latest_status,
                    run_error=repo.latest_error or "",
                ),
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


REGRESSION_DAYS = 7


def dashboard_summary(*, team, now: datetime | None = None) -> dict:
    """The cards above the dashboard's table that read the team's history: its score, its level
    distribution, the week's headline and the repositories that got worse in the last week. Four
    queries, whatever the team's size (readiness.dashboard.figures keeps them in the cache)."""
    now = now or timezone.now()
    summary = team_summaries(teams=[team])[0]
    regressions = team_regressions(team=team, since=now - timedelta(days=REGRESSION_DAYS))
    scored = summary["count"] - summary["levels"]["none"] if summary["count"] else 0
    return {
        "count": summary["count"],
        "lowest": summary["lowest"],
        "levels": [{"level": lvl, "count": n} for lvl, n in summary["levels"].items()],
        "with_level": scored,
        "headline": summary["headline"],
        "regressions": regressions,
        "regression_days": REGRESSION_DAYS,
    }


def dashboard_endpoints(*, team) -> dict:
    """The endpoints card, live (probes change it between runs): how many are down, where; with
    each repository's counts (``endpoint_counts``), which the table's rows take too. Two queries."""
    endpoints = endpoint_counts_for_repositories(Repository.objects.active().filter(team=team).values("pk"))
    names = {
        pk: (name, slug)
        for pk, name, slug in Repository.objects.filter(
            pk__in=[rid for rid, counts in endpoints.items() if counts["down"]]
        ).values_list("pk", "name", "slug")
    }
    down = sorted(
        ((counts["down"], *names[rid]) for rid, counts in endpoints.items() if counts["down"]),
        key=lambda row: (-row[0], row[1].lower()),
    )
    return {
        "endpoints_down": sum(n for n, _, _ in down),
        "endpoints_total": sum(c["total"] for c in endpoints.values()),
        "down_repositories": [{"down": n, "name": name, "slug": slug} for n, name, slug in down],
        "endpoint_counts": endpoints,
    }


def team_regressions(*, team, since: datetime) -> list[dict]:
    """Repositories whose primary checklist scores lower now than at their last snapshot before
    ``since``, or sits at a lower level: the biggest drop first (one query)."""
    before = ChecklistSnapshot.objects.filter(
        repository=OuterRef("repository_id"), template_slug=OuterRef("template__slug"), taken_at__lt=since
    ).order_by("-taken_at", "-id")
    rows = (
        AppliedChecklist.objects.filter(
            repository__team=team, repository__archived_at__isnull=True, primary=True
        )
        .annotate(
            before_overall=Subquery(before.values("overall")[:1]),
            before_level=Subquery(before.values("level")[:1]),
        )
        .values_list(
            "repository__name", "repository__slug", "overall", "level", "before_overall", "before_level"
        )
    )
    rank = {"gold": 3, "silver": 2, "bronze": 1}
    found = []
    for name, slug, overall, level, before_overall, before_level in rows:
        if overall is None or before_overall is None:
            continue
        dropped = round(overall, 1) < round(before_overall, 1)
        demoted = rank.get(level or "", 0) < rank.get(before_level or "", 0)
        if dropped or demoted:
            found.append(
                {
                    "name": name,
                    "slug": slug,
                    "before": round(before_overall, 1),
                    "after": round(overall, 1),
                    "delta": round(overall - before_overall, 1),
                    "level_before": before_level or "none",
                    "level_after": level or "none",
                    "demoted": demoted,
                }
            )
    found.sort(key=lambda r: (r["delta"], r["name"].lower()))
    return found


HEADLINE_DAYS = 7


def team_week(*, team, now: datetime | None = None) -> dict:
    """The team's headline: which repositories' readiness scores or levels moved over the last
    seven days, regressions first ("2 repositories got worse: api 8.1 → 6.0, worker lost
    Silver"), with the lists it names. One query, whatever the team's size."""
    since = (now or timezone.now()) - timedelta(days=HEADLINE_DAYS)
    changes = team_score_changes(
        repository_ids=Repository.objects.active().filter(team=team).values("pk"), since=since
    )
    worse, better = worse_first(changes)
    return {"text": team_headline(changes), "worse": worse, "better": better, "days": HEADLINE_DAYS}


def team_summaries(*, teams: list) -> list[dict]:
    """Per team: repository count, level counts, the week's headline (regressions first, never a
    mean), the lowest scoring few."""
    by_team: dict[int, dict] = {
        t.pk: {"team": t, "count": 0, "levels": defaultdict(int), "lowest": []} for t in teams
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
            entry["lowest"].append((overall, name, slug))
    summaries = []
    for entry in by_team.values():
        entry["headline"] = team_week(team=entry["team"]) if entry["count"] else None
        entry["lowest"] = [{"score": s, "name": n, "slug": sl} for s, n, sl in sorted(entry["lowest"])[:3]]
        entry["levels"] = {lvl: entry["levels"].get(lvl, 0) for lvl in ("gold", "silver", "bronze", "none")}
        summaries.append(entry)
    return summaries


def team_trend(*, team, weeks: int = 12, now: datetime | None = None) -> dict:
    """The team's score week by week: for each of the last ``weeks`` weeks, the average and the
    lowest of the scores its runs got that week (primary checklists' snapshots), and the number of
    repositories analysed; the current week ends now, with the live scores the cards and the table
    show. A week without a run has no point. Two aggregate queries, whatever the team's size or
    the number of runs."""
    now = now or timezone.now()
    start = now - timedelta(weeks=weeks)
    week = Case(
        *[
            When(
                taken_at__gte=start + timedelta(weeks=i),
                taken_at__lt=start + timedelta(weeks=i + 1),
                then=Value(i),
            )
            for i in range(weeks - 1)
        ],
        default=Value(-1),
        output_field=IntegerField(),
    )
    by_week = {
        row["week"]: row
        for row in ChecklistSnapshot.objects.filter(
            repository__team=team,
            repository__archived_at__isnull=True,
            taken_at__gte=start,
            taken_at__lt=start + timedelta(weeks=weeks - 1),
            overall__isnull=False,
            # The primary checklist's snapshots only (any version of its template).
            repository__checklists__primary=True,
            template_slug=F("repository__checklists__template__slug"),
        )
        .annotate(week=week)
        .order_by()
        .values("week")
        .annotate(mean=Avg("overall"), lowest=Min("overall"), count=Count("repository_id", distinct=True))
    }
    by_week[weeks - 1] = AppliedChecklist.objects.filter(
        repository__team=team, repository__archived_at__isnull=True, primary=True, overall__isnull=False
    ).aggregate(mean=Avg("overall"), lowest=Min("overall"), count=Count("repository_id"))
    rows = []
    for i in range(weeks):
        row = by_week.get(i) or {}
        present = row.get("mean") is not None
        rows.append(
            {
                "end": min(start + timedelta(weeks=i + 1), now),
                "count": row.get("count", 0) if present else 0,
                "mean": round(row["mean"], 1) if present else None,
                "lowest": round(row["lowest"], 1) if present else None,
            }
        )
    return {"start": start, "end": now, "weeks": rows}


def repository_trend(*, repository, weeks: int = 12, now: datetime | None = None) -> dict:
    """The primary checklist's score at each run of the last ``weeks`` weeks (every snapshot, not
    one a week), starting with the score it had when the window opened. Three queries."""
    now = now or timezone.now()
    start = now - timedelta(weeks=weeks)
    applied = (
        AppliedChecklist.objects.filter(repository=repository, primary=True)
        .values_list("template__slug", "template__title")
        .first()
    )
    if applied is None:
        return {"start": start, "end": now, "points": [], "title": "", "slug": None}
    slug, title = applied
    snapshots = ChecklistSnapshot.objects.filter(
        repository=repository, template_slug=slug, overall__isnull=False
    )
    rows = list(
        snapshots.filter(taken_at__gte=start)
        .order_by("taken_at", "id")
        .values_list("taken_at", "overall", "run_id")
    )
    # The score carried into the window (the last snapshot before it), unless a run opens it.
    before = (
        snapshots.filter(taken_at__lt=start).order_by("-taken_at", "-id").values_list("overall", "run_id")[:1]
    )
    points = [
        {"at": start, "score": overall, "run_id": run_id, "carried": True} for overall, run_id in before
    ]
    points += [
        {"at": at, "score": overall, "run_id": run_id, "carried": False} for at, overall, run_id in rows
    ]
    return {"start": start, "end": now, "points": points, "title": title, "slug": slug}
