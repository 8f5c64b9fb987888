"""Read logic for repositories and runs, always scoped to a team the user belongs to."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from readiness.repos.models import AnalysisRun, Repository, ScoreSnapshot


def repository_list_for_team(*, team) -> QuerySet[Repository]:
    latest = AnalysisRun.objects.of_outer_repository()
    return (
        Repository.objects.active()
        .filter(team=team)
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_score=Subquery(latest.succeeded().values("score")[:1]),
            latest_finished_at=Subquery(latest.values("finished_at")[:1]),
        )
        .order_by("name")
    )


def repository_list_archived(*, team) -> QuerySet[Repository]:
    """The team's archived repositories, most recently archived first, with their run count."""
    return (
        Repository.objects.archived()
        .filter(team=team)
        .annotate(run_count=Count("runs"))
        .order_by("-archived_at", "name")
    )


def repository_archived_count(*, team) -> int:
    return Repository.objects.archived().filter(team=team).count()


def repository_get(*, team, slug: str) -> Repository:
    return get_object_or_404(Repository, team=team, slug=slug)


def run_get(*, repository, run_id: int) -> AnalysisRun:
    return get_object_or_404(AnalysisRun, repository=repository, pk=run_id)


def run_latest(*, repository) -> AnalysisRun | None:
    return repository.runs.newest_first().first()


def run_latest_succeeded(*, repository) -> AnalysisRun | None:
    return repository.runs.latest_succeeded()


def run_list(*, repository) -> QuerySet[AnalysisRun]:
    return repository.runs.newest_first()


def scorecard_for_run(*, run: AnalysisRun | None) -> dict | None:
    """Overall score, category scores and results grouped by category, failures first."""
    if run is None:
        return None
    scores = {s.category: s for s in ScoreSnapshot.objects.filter(run=run)}
    order = {"error": 0, "fail": 1, "warn": 2, "pass": 3, "na": 4}
    results = sorted(run.check_results.all(), key=lambda r: (order.get(r.status, 9), r.check_id))
    categories = []
    for category, snapshot in scores.items():
        if category == ScoreSnapshot.OVERALL:
            continue
        categories.append(
            {
                "id": category,
                "title": snapshot.title,
                "score": snapshot.score,
                "results": [r for r in results if r.category == category],
            }
        )
    categories.sort(key=lambda c: (c["score"] if c["score"] is not None else 11, c["title"]))
    overall = scores.get(ScoreSnapshot.OVERALL)
    counts = {status: sum(1 for r in results if r.status == status) for status in order}
    return {
        "run": run,
        "overall": overall.score if overall else None,
        "categories": categories,
        "counts": counts,
    }
