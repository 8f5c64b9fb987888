"""Write logic for repositories and analysis runs. Views and tasks call these; nothing else writes."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from readiness.engine import ENGINE_VERSION, analyze
from readiness.repos.models import AnalysisRun, CheckResult, Repository, RunStatus, ScoreSnapshot, Trigger
from readiness.repos.sourcing import SourceError, materialize_source

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "The analysis stopped on an internal error; the administrators have the details."


def repository_register(
    *, team, name: str, url: str, branch: str = "main", subfolder: str = ""
) -> Repository:
    base = slugify(name) or "repository"
    slug, n = base, 2
    while Repository.objects.filter(team=team, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Repository.objects.create(
        team=team, name=name, slug=slug, url=url.strip(), branch=branch.strip() or "main", subfolder=subfolder
    )


def analysis_request(*, repository: Repository, trigger: str = Trigger.MANUAL, user=None) -> AnalysisRun:
    """Create a queued run and enqueue it once the transaction commits.

    A run already queued for the repository absorbs the new request, so triggers coalesce.
    """
    from readiness.repos.tasks import analysis_run_task

    with transaction.atomic():
        pending = repository.runs.filter(status=RunStatus.QUEUED).first()
        if pending is not None:
            return pending
        run = AnalysisRun.objects.create(repository=repository, trigger=trigger, requested_by=user)
        transaction.on_commit(lambda: analysis_run_task.delay(run.pk))
    return run


def _claim(run_id: int) -> AnalysisRun | None:
    """Move a queued run to running; None when another delivery took it or it is finished."""
    with transaction.atomic():
        run = (
            AnalysisRun.objects.select_for_update(skip_locked=True)
            .select_related("repository")
            .filter(pk=run_id, status=RunStatus.QUEUED)
            .first()
        )
        if run is None:
            return None
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "attempts"])
    return run


def _fail(run: AnalysisRun, message: str) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])


@transaction.atomic
def _store_report(run: AnalysisRun, report, commit_sha: str) -> None:
    """Results, scores and the final status in one transaction: all of them or none."""
    payload = report.as_dict()
    CheckResult.objects.bulk_create(
        CheckResult(
            run=run,
            check_id=check["id"],
            category=check["category"],
            status=check["status"],
            severity=check["severity"],
            title=check["title"],
            evidence=check["evidence"],
            remediation=check["remediation"],
        )
        for check in payload["checks"]
    )
    snapshots = [ScoreSnapshot(run=run, category=ScoreSnapshot.OVERALL, title="Overall", score=report.score)]
    snapshots += [
        ScoreSnapshot(run=run, category=c.id, title=c.title, score=c.score) for c in report.categories
    ]
    ScoreSnapshot.objects.bulk_create(snapshots)
    run.status = RunStatus.SUCCEEDED
    run.score = report.score
    run.commit_sha = commit_sha
    run.engine_version = ENGINE_VERSION
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "score", "commit_sha", "engine_version", "finished_at"])


def analysis_execute(*, run_id: int) -> AnalysisRun | None:
    """Fetch the repository, run the engine over it and store the results. Safe to call twice."""
    run = _claim(run_id)
    if run is None:
        logger.info("run %s already taken or finished; nothing to do", run_id)
        return None
    work_dir = Path(settings.READINESS_WORK_DIR)
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=f"run-{run.pk}-", dir=work_dir) as tmp:
            source = materialize_source(run.repository, Path(tmp))
            report = analyze(source.path)
    except SourceError as exc:
        _fail(run, str(exc))
        return run
    except Exception:
        logger.exception("analysis of run %s failed", run.pk)
        _fail(run, INTERNAL_ERROR_MESSAGE)
        return run
    _store_report(run, report, source.commit_sha)
    return run
