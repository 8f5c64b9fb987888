"""Backfill: "analyse the last N commits of the tracked branch", so a newly registered repository
gets its trend and a before/after at once.

1. ``backfill_request`` (a view or the API) records the request on the repository
   (``Repository.backfill``, state "listing") and its outbox row ``backfill:<repository id>`` in one
   transaction; asking again while it is listing is the same request.
2. The task ``repos.backfill`` (``backfill_execute``) lists the commits with a shallow, file-less
   clone (readiness.sources.list_commits), then queues one run per commit, oldest first, each
   through the analysis outbox like any run. A commit that already has a run (finished, queued or
   running, whichever asked for it) is not analysed twice: its run is counted instead. When the
   repository has no head run yet, the newest commit is analysed as one, so it gets a current
   score as well as a history.
3. The runs wait for each other (one analysis per repository at a time); each one's results land
   at its commit's date in the trend (``AnalysisRun.history_time``). ``backfill_progress`` reads
   how far they got.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from readiness.core.outbox import outbox_enqueue
from readiness.repos.models import FINISHED_STATUSES, AnalysisRun, Repository, RunStatus, Trigger
from readiness.repos.services import RepositoryArchived, _enqueue_on_commit, analysis_request
from readiness.repos.sourcing import SourceError, source_list_commits
from readiness.teams.activity import activity_record

logger = logging.getLogger(__name__)

BACKFILL_TASK = "repos.backfill"
BACKFILL_DEFAULT = 10
BACKFILL_MAX = 50
LISTING, QUEUED, FAILED = "listing", "queued", "failed"


class BackfillError(ValueError):
    """A request that cannot be made (a count out of bounds); the message is for the user."""


def backfill_request(
    *, repository: Repository, count: int = BACKFILL_DEFAULT, user=None, api_token=None
) -> dict:
    """Ask for the last ``count`` commits (1 to BACKFILL_MAX) of the tracked branch to be analysed.
    Returns the repository's backfill record. RepositoryArchived for an archived repository."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= BACKFILL_MAX:
        raise BackfillError(f"Choose from 1 to {BACKFILL_MAX} commits.")
    with transaction.atomic():
        locked = Repository.objects.select_for_update().get(pk=repository.pk)
        if locked.archived_at is not None:
            raise RepositoryArchived(locked)
        if locked.backfill.get("state") == LISTING:  # asked already: the same request
            return locked.backfill
        locked.backfill = {
            "state": LISTING,
            "count": count,
            "requested_at": timezone.now().isoformat(),
            "requested_by": user.pk if user is not None and user.is_authenticated else None,
            "runs": [],
            "error": "",
        }
        locked.save(update_fields=["backfill"])
        outbox_enqueue(task=BACKFILL_TASK, args=[locked.pk], dedup_key=f"backfill:{locked.pk}")
        extra = {}
        if api_token is not None:
            extra["actor_label"] = f"API token {api_token.name} ({api_token.prefix}…)"
        activity_record(
            team=locked.team,
            actor=user,
            verb="run.backfill",
            target=locked.name,
            obj=locked,
            count=count,
            **extra,
        )
    repository.backfill = locked.backfill
    return locked.backfill


def backfill_execute(*, repository_id: int) -> dict | None:
    """The task's work: list the commits, queue their runs. Safe to run twice (a second run finds
    the state moved on, or finds every commit's run and queues nothing new)."""
    repository = Repository.objects.filter(pk=repository_id).first()
    if repository is None or repository.backfill.get("state") != LISTING:
        return None
    count = int(repository.backfill.get("count") or BACKFILL_DEFAULT)
    try:
        commits = source_list_commits(repository, count)
    except SourceError as exc:
        return _set_state(repository_id, state=FAILED, error=str(exc))
    user_id = repository.backfill.get("requested_by")
    with transaction.atomic():
        locked = Repository.objects.select_for_update().get(pk=repository_id)
        if locked.backfill.get("state") != LISTING:
            return None
        if locked.archived_at is not None:
            return _set_state(repository_id, state=FAILED, error="The repository was archived.")
        run_ids = []
        has_head_run = locked.runs.of_head().exclude(status=RunStatus.FAILED).exists()
        for n, (sha, committed_at, _subject) in enumerate(reversed(commits)):  # oldest first
            newest = n == len(commits) - 1
            existing = _run_of_commit(locked, sha)
            if existing is not None:
                run_ids.append(existing.pk)
            elif newest and not has_head_run:  # the current score, from the branch's head
                run_ids.append(analysis_request(repository=locked, trigger=Trigger.BACKFILL).pk)
            else:
                run = AnalysisRun.objects.create(
                    repository=locked,
                    trigger=Trigger.BACKFILL,
                    requested_by_id=user_id,
                    ref=sha,
                    commit_date=committed_at,
                )
                _enqueue_on_commit(run.pk)
                run_ids.append(run.pk)
        return _set_state(repository_id, state=QUEUED, runs=run_ids, commits=len(commits))


def _run_of_commit(repository: Repository, sha: str) -> AnalysisRun | None:
    """A run that analysed ``sha`` (succeeded) or will (queued or running with it as its ref)."""
    return (
        repository.runs.filter(status=RunStatus.SUCCEEDED, commit_sha=sha).first()
        or repository.runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], ref=sha).first()
    )


def _set_state(repository_id: int, **changes) -> dict:
    with transaction.atomic():
        locked = Repository.objects.select_for_update().get(pk=repository_id)
        locked.backfill = {**locked.backfill, **changes}
        locked.save(update_fields=["backfill"])
    return locked.backfill


def backfill_progress(*, repository: Repository) -> dict | None:
    """The last backfill's progress: ``{"state", "count", "error", "total", "finished",
    "succeeded", "failed", "done", "runs"}`` (runs oldest commit first), or None when none was
    asked for."""
    record = repository.backfill or {}
    if not record:
        return None
    ids = list(record.get("runs") or [])
    runs = {r.pk: r for r in AnalysisRun.objects.filter(pk__in=ids)}
    ordered = [runs[pk] for pk in ids if pk in runs]
    finished = [r for r in ordered if r.status in FINISHED_STATUSES]
    state = record.get("state", "")
    return {
        "state": state,
        "count": record.get("count"),
        "error": record.get("error", ""),
        "requested_at": record.get("requested_at"),
        "total": len(ordered),
        "finished": len(finished),
        "succeeded": sum(1 for r in finished if r.status == RunStatus.SUCCEEDED),
        "failed": sum(1 for r in finished if r.status == RunStatus.FAILED),
        "done": state == FAILED or (state == QUEUED and len(finished) == len(ordered)),
        "runs": ordered,
    }
