"""A run requested: fetch the source, analyse it, store what each app keeps. The one place where
an analysis touches several apps, in order:

1. repos claims the queued run (one analysis per repository at a time);
2. repos materialises the source in a temporary folder; endpoints gives the probes' health facts;
3. the engine analyses the folder and reports results, excerpts, health-check paths, facts and
   the automatic fixes with their diffs; the folder is deleted, nothing reads it afterwards;
4. repos stores results, scores and facts, with the notes endpoints writes about health checks;
5. checklists writes the run's snapshots and refreshes live states (never failing the run);
6. alerts records what got worse (a score drop, a lost level, checks newly failing, analyses that
   keep failing) for the team's channels (never failing the run either).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from readiness.alerts.detect import alerts_run_finished
from readiness.checklists.services.states import checklist_run_finished
from readiness.core.outbox import ClaimLost, outbox_ensure_held
from readiness.endpoints.healthchecks import healthcheck_notes
from readiness.endpoints.selectors import health_facts_for_repository
from readiness.engine import analyze
from readiness.engine.fixes.apply import attach_diffs
from readiness.repos.models import AnalysisRun, Repository
from readiness.repos.services import RunTakenOver, run_claim, run_fail, run_requeue_or_fail, run_store_report
from readiness.repos.sourcing import SourceError, materialize_source
from readiness.sources.workdir import run_dir_prefix

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "The analysis stopped on an internal error; the administrators have the details."
BUSY_RETRY_S = 5.0


@dataclass
class ExecuteOutcome:
    run: AnalysisRun | None
    # Seconds after which the task should look at this run again (another run of the repository
    # is still running); None when there is nothing more to do.
    retry_in: float | None = None


def _healthcheck_notes(repository: Repository, report) -> list[str]:
    """Do the HEALTHCHECKs of the configuration request the paths of the registered endpoints?"""
    endpoints = list(repository.endpoints.all())
    if not endpoints:  # nothing to compare with
        return []
    return healthcheck_notes(report.healthchecks, endpoints)


def analysis_execute(*, run_id: int, takeover: bool = False) -> ExecuteOutcome:
    """Fetch the repository, run the engine over it and store the results. Safe to call twice.

    ``takeover``: the caller holds the run's outbox claim (readiness/core/outbox.py), so a run left
    running by a dead worker is taken over. A database error is raised, not recorded: the claim
    puts the run back and it is tried again shortly; it never ends "failed" for an outage."""
    run, busy = run_claim(run_id, takeover=takeover)
    if busy:
        return ExecuteOutcome(run=None, retry_in=BUSY_RETRY_S)
    if run is None:
        logger.info("run %s already taken or finished; nothing to do", run_id)
        return ExecuteOutcome(run=None)
    work_dir = Path(settings.READINESS_WORK_DIR)
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=run_dir_prefix(run.pk), dir=work_dir) as tmp:
            source = materialize_source(run.repository, Path(tmp), ref=run.ref)
            report = analyze(
                source.path,
                health=health_facts_for_repository(run.repository),
                excerpts=True,
                fixes=True,
                # The team's waiver policy applies to .readiness.yml skips too (docs/checklists.md).
                skip_expiry_limit=timezone.localdate() + timedelta(days=run.repository.team.waiver_max_days),
            )
            attach_diffs(source.path, report)  # each fix's diff, read while the files exist
        outbox_ensure_held()  # taken over (this worker froze past its lease): the run is the new holder's
        run_store_report(
            run,
            report,
            source.commit_sha,
            notes=_healthcheck_notes(run.repository, report),
            commit_date=source.committed_at,
        )
        checklist_run_finished(run=run)
    except SourceError as exc:
        outbox_ensure_held()  # how a run taken over ends is its new holder's to decide
        if exc.transient:
            return ExecuteOutcome(run=run, retry_in=run_requeue_or_fail(run, str(exc)))
        run_fail(run, str(exc))
    except SoftTimeLimitExceeded:
        outbox_ensure_held()
        run_fail(
            run, f"The analysis took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped."
        )
    except RunTakenOver:
        logger.warning("run %s was taken over by another worker; this attempt's results dropped", run.pk)
        return ExecuteOutcome(run=run)
    except (DatabaseError, ClaimLost):
        raise
    except Exception:
        outbox_ensure_held()
        logger.exception("analysis of run %s failed", run.pk)
        run_fail(run, INTERNAL_ERROR_MESSAGE)
    run.refresh_from_db()
    if run.is_finished:
        alerts_run_finished(run=run)  # logs and swallows its own errors
    return ExecuteOutcome(run=run)
