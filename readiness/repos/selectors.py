"""Read logic for repositories and runs, always scoped to a team the user belongs to."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from readiness.repos.models import HISTORY_AT, AnalysisRun, Repository, ScoreSnapshot


def repository_list_for_team(*, team) -> QuerySet[Repository]:
    latest = AnalysisRun.objects.of_outer_repository()
    return (
        Repository.objects.active()
        .filter(team=team)
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
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
    """The latest run of the tracked branch's head (runs of other refs and backfills are history)."""
    return repository.runs.of_head().newest_first().first()


def run_latest_succeeded(*, repository) -> AnalysisRun | None:
    return repository.runs.latest_succeeded()


def run_list(*, repository) -> QuerySet[AnalysisRun]:
    """Every run in history order, newest first: a backfilled commit at its commit date (queued or
    not), other runs when they finished (unfinished ones when they were queued). Without the
    engine's facts and notes, which a list does not show (a real repository's facts run to
    kilobytes of dependency names)."""
    return (
        repository.runs.defer("facts", "notes")
        .annotate(at=Coalesce(HISTORY_AT, "queued_at"))
        .order_by("-at", "-id")
    )


def scorecard_for_run(*, run: AnalysisRun | None) -> dict | None:
    """The run's automated checks: results grouped by category (failures first) with their counts,
    and the engine's check scores (the CLI's; pages show the readiness score instead, docs/scoring.md)."""
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
        categories[-1]["counts"] = {
            status: sum(1 for r in categories[-1]["results"] if r.status == status) for status in order
        }
    categories.sort(key=lambda c: (c["score"] if c["score"] is not None else 11, c["title"]))
    overall = scores.get(ScoreSnapshot.OVERALL)
    counts = {status: sum(1 for r in results if r.status == status) for status in order}
    return {
        "run": run,
        "overall": overall.score if overall else None,
        "categories": categories,
        "counts": counts,
    }
