"""Write logic for repositories and analysis runs. Views, tasks and the pipeline call these; nothing
else writes the repos app's tables. The analysis itself is orchestrated by readiness.pipeline.analysis,
which calls the run services below (claim, store, fail, requeue)."""

from __future__ import annotations

import json
import logging
import random
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from readiness.core.crypto import encrypt
from readiness.core.models import OutboxMessage, OutboxState
from readiness.core.outbox import outbox_enqueue
from readiness.engine import ENGINE_VERSION
from readiness.repos.lifecycle import RepositoryNameTaken, repository_name_taken, unique_slug
from readiness.repos.models import AnalysisRun, CheckResult, Repository, RunStatus, ScoreSnapshot, Trigger
from readiness.teams.activity import activity_record

logger = logging.getLogger(__name__)

# The analysis task (readiness/pipeline/tasks.py) is named, not imported: it lives above this app.
ANALYSIS_TASK = "repos.analysis_run"


def repository_create(
    *, team, name: str, url: str, branch: str = "main", subfolder: str = "", actor=None
) -> Repository:
    """The repository row, its nightly schedule and the activity entry. Registering also applies
    the default checklist: readiness.pipeline.registration.repository_register does both."""
    name = name.strip()
    if repository_name_taken(team=team, name=name):
        raise RepositoryNameTaken(name)
    try:
        with transaction.atomic():  # a savepoint: a racing namesake leaves the caller's transaction usable
            repository = Repository.objects.create(
                team=team,
                name=name,
                slug=unique_slug(team=team, name=name),
                url=url.strip(),
                branch=branch.strip() or "main",
                subfolder=subfolder,
            )
    except IntegrityError:
        raise RepositoryNameTaken(name) from None
    repository_schedule_set(repository=repository, crontab=DEFAULT_SCHEDULE)  # nightly by default
    activity_record(team=team, actor=actor, verb="repository.registered", target=repository.name)
    return repository


class RepositoryArchived(Exception):
    """An archived repository starts no analysis (restore it first)."""

    def __init__(self, repository):
        super().__init__(f"{repository.name} is archived; restore it to analyse it.")


def analysis_request(
    *,
    repository: Repository,
    trigger: str = Trigger.MANUAL,
    user=None,
    api_token=None,
    schedule_slot=None,
) -> AnalysisRun:
    """Create a queued run and its outbox row in one transaction (the broker is told on commit).

    Triggers coalesce: a run already queued for the repository absorbs the request, so while one
    run is running there is at most one follow-up waiting behind it. A queued run can always start:
    its outbox row is published again until a worker claims it (readiness/core/outbox.py), so
    nothing coalesces onto a run whose message was lost. ``run.queued_offline`` is True when the
    broker could not be told now (the run starts when the workers are reachable again).

    ``schedule_slot`` (a schedule's firing time) makes scheduled requests idempotent: one run per
    repository and slot, however many beats or deliveries fire it.
    """
    message = None
    with transaction.atomic():
        # Lock the repository row so two simultaneous triggers cannot both create a queued run.
        locked = Repository.objects.select_for_update().filter(pk=repository.pk).first()
        if locked is not None and locked.archived_at is not None:
            raise RepositoryArchived(locked)
        if schedule_slot is not None:
            fired = repository.runs.filter(schedule_slot=schedule_slot).first()
            if fired is not None:
                return fired
        pending = repository.runs.filter(status=RunStatus.QUEUED).first()
        if pending is not None:
            if schedule_slot is not None and pending.schedule_slot is None:
                pending.schedule_slot = schedule_slot  # this slot is served by the queued run
                pending.save(update_fields=["schedule_slot"])
            return pending
        run = AnalysisRun.objects.create(
            repository=repository, trigger=trigger, requested_by=user, schedule_slot=schedule_slot
        )
        if api_token is not None:  # CI through the API: the token is the actor (its owner, if personal)
            activity_record(
                team=repository.team,
                actor=user,
                verb="run.triggered_api",
                target=repository.name,
                obj=run,
                actor_label=f"API token {api_token.name} ({api_token.prefix}…)",
                token=api_token.prefix,
            )
        elif user is not None:  # people's triggers; pushes and schedules would drown the log
            activity_record(
                team=repository.team, actor=user, verb="run.triggered", target=repository.name, obj=run
            )
        message = _enqueue_on_commit(run.pk)
    run.queued_offline = message is not None and message.published is False
    return run


def _enqueue_on_commit(run_id: int, countdown: float | None = None) -> OutboxMessage:
    """The run's request for a worker: its outbox row (armed again on a retry), published on commit.
    The task (readiness/pipeline/tasks.py) is named, not imported: it lives above this app."""
    return outbox_enqueue(
        task=ANALYSIS_TASK, args=[run_id], dedup_key=f"analysis-run:{run_id}", delay=countdown or 0
    )


def analysis_retry_later(*, run_id: int, delay: float) -> None:
    """Look at the run again after ``delay`` seconds (another run of its repository is running)."""
    _enqueue_on_commit(run_id, countdown=delay)


def analysis_renew_lease(run_id: int) -> None:
    """Called at each outbox lease renewal while the run's task runs (readiness/core/outbox.py)."""
    lease = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE)
    AnalysisRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(lease_expires_at=lease)


def run_claim(run_id: int, *, takeover: bool = False) -> tuple[AnalysisRun | None, bool]:
    """Move a queued run to running. Returns (run, busy): run None when taken, finished or gone;
    busy when another run of the same repository is running (one analysis per repository).

    ``takeover``: the caller holds the run's outbox claim, which it only gets once the previous
    holder's lease ran out, so a run still marked running belongs to a dead worker and is taken
    over (counting an attempt; failed once the attempts are used up).
    """
    statuses = [RunStatus.QUEUED, RunStatus.RUNNING] if takeover else [RunStatus.QUEUED]
    with transaction.atomic():
        run = (
            AnalysisRun.objects.select_for_update(skip_locked=True)
            .select_related("repository")
            .filter(pk=run_id, status__in=statuses)
            .first()
        )
        if run is None:
            return None, False
        if run.status == RunStatus.RUNNING:
            logger.warning("run %s: its worker stopped (attempt %s); taking it over", run.pk, run.attempts)
            if run.attempts >= settings.ANALYSIS_MAX_ATTEMPTS:
                run_fail(run, f"The analysis stopped its worker {run.attempts} times; giving up.")
                return None, False
        elif run.repository.runs.filter(status=RunStatus.RUNNING).exists():
            return None, True
        now = timezone.now()
        lease_s = settings.OUTBOX_LEASE if takeover else settings.ANALYSIS_RUN_LEASE
        run.status = RunStatus.RUNNING
        run.started_at = now
        run.lease_expires_at = now + timedelta(seconds=lease_s)
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "lease_expires_at", "attempts"])
    return run, False


def run_requeue_or_fail(run: AnalysisRun, message: str) -> float | None:
    """After a transient failure: back to queued with a backoff delay, or failed when out of attempts."""
    if run.attempts >= settings.ANALYSIS_MAX_ATTEMPTS:
        run_fail(run, f"{message} (gave up after {run.attempts} attempts)")
        return None
    delay = min(300.0, 5.0 * 2 ** (run.attempts - 1)) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
    with transaction.atomic():
        AnalysisRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.QUEUED, error=message, lease_expires_at=None
        )
        _enqueue_on_commit(run.pk, countdown=delay)
    return delay


def run_fail(run: AnalysisRun, message: str) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.lease_expires_at = None
    run.save(update_fields=["status", "error", "finished_at", "lease_expires_at"])


class RunTakenOver(Exception):
    """The run was taken over by another worker while this one worked (this one's lease ran out)."""


@transaction.atomic
def run_store_report(run: AnalysisRun, report, commit_sha: str, notes: list[str] = ()) -> None:
    """Results, scores and the final status in one transaction: all of them or none. Only the
    attempt that holds the run writes (a fencing check on the attempt number)."""
    holder = AnalysisRun.objects.select_for_update().filter(
        pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts
    )
    if not holder.exists():
        raise RunTakenOver(run.pk)
    payload = report.as_dict()
    for check in payload["checks"]:  # the lines around each evidence line, read by the engine
        for evidence in check["evidence"]:
            excerpt = report.excerpts.get(f"{evidence['file']}:{evidence['line']}")
            if excerpt:
                evidence["excerpt"] = excerpt
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
            fixes=[
                {key: fix[key] for key in ("summary", "note", "files", "diff")}
                for fix in check.get("fixes", [])
                if fix.get("diff")
            ],
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
    run.lease_expires_at = None
    run.error = ""
    run.notes = list(report.notes) + list(notes)
    run.facts = report.facts
    fields = [
        "status",
        "score",
        "commit_sha",
        "engine_version",
        "finished_at",
        "lease_expires_at",
        "error",
        "notes",
        "facts",
    ]
    run.save(update_fields=fields)


SWEEP_GRACE = timedelta(seconds=60)


def runs_sweep_stuck(*, now=None) -> dict[str, int]:
    """A safety net behind the outbox relay: runs left running whose lease expired a while ago and
    whose outbox row is not live (finished, or from before the outbox) are re-queued, or failed once
    they have used every attempt, so a run that kills its worker cannot loop forever."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    live = OutboxMessage.objects.filter(
        dedup_key=Concat(Value("analysis-run:"), Cast(OuterRef("pk"), CharField())),
        state__in=[OutboxState.PENDING, OutboxState.CLAIMED],
        lease_until__gte=now - SWEEP_GRACE,
    )
    stuck = AnalysisRun.objects.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now).exclude(
        Exists(live)
    )
    stuck_ids = list(stuck.values_list("pk", flat=True))
    for run_id in stuck_ids:
        with transaction.atomic():
            run = (
                AnalysisRun.objects.select_for_update(skip_locked=True)
                .filter(pk=run_id, status=RunStatus.RUNNING, lease_expires_at__lt=now)
                .first()
            )
            if run is None:
                continue
            if run.attempts >= settings.ANALYSIS_MAX_ATTEMPTS:
                run_fail(run, f"The analysis stopped its worker {run.attempts} times; giving up.")
                counts["failed"] += 1
                continue
            run.status = RunStatus.QUEUED
            run.lease_expires_at = None
            run.error = "The worker stopped during the analysis; trying again."
            run.save(update_fields=["status", "lease_expires_at", "error"])
            _enqueue_on_commit(run.pk)
            counts["requeued"] += 1
    return counts


def analysis_request_scheduled(*, repository_id: int, now=None) -> AnalysisRun | None:
    """A schedule fired: at most one run per repository and schedule slot (two beats, a redelivered
    message or a retried task all find the slot's run)."""
    repository = Repository.objects.select_related("schedule__crontab").filter(pk=repository_id).first()
    if repository is None or repository.archived_at is not None:  # deleted or archived since
        return None
    slot = schedule_slot(repository, now or timezone.now())
    try:
        return analysis_request(repository=repository, trigger=Trigger.SCHEDULE, schedule_slot=slot)
    except IntegrityError:  # a racing delivery created the slot's run first
        return repository.runs.get(schedule_slot=slot)


SLOT_LOOKBACK_MINUTES = 15


def schedule_slot(repository: Repository, now):
    """The schedule's firing time that ``now`` belongs to: the latest minute at or before ``now``
    (within SLOT_LOOKBACK_MINUTES) that the repository's crontab matches; ``now`` to the minute
    when there is no crontab or no match (a beat that was late by more than the lookback)."""
    minute = now.replace(second=0, microsecond=0)
    crontab = repository.schedule.crontab if repository.schedule_id and repository.schedule else None
    if crontab is None:
        return minute
    cron = crontab.schedule
    for back in range(SLOT_LOOKBACK_MINUTES + 1):
        at = minute - timedelta(minutes=back)
        local = timezone.localtime(at, crontab.timezone)
        if (
            local.minute in cron.minute
            and local.hour in cron.hour
            and local.isoweekday() % 7 in cron.day_of_week
            and local.day in cron.day_of_month
            and local.month in cron.month_of_year
        ):
            return at
    return minute


def repository_set_token(*, repository: Repository, token: str, actor=None) -> None:
    """Store (or clear, with an empty token) the repository's access token, encrypted."""
    had = bool(repository.token_encrypted)
    repository.token_encrypted = encrypt(token) if token else ""
    repository.save(update_fields=["token_encrypted"])
    activity_record(
        team=repository.team,
        actor=actor,
        verb="repository.changed",
        target=repository.name,
        obj=repository,
        changes={
            "access token": (
                "set" if had else "none",
                "replaced" if token and had else "set" if token else "none",
            )
        },
    )


def webhook_secret_rotate(*, repository: Repository, actor=None) -> str:
    """Make a new webhook secret; the caller shows it once, it is never shown again."""
    secret = secrets.token_urlsafe(32)
    repository.webhook_secret_encrypted = encrypt(secret)
    repository.save(update_fields=["webhook_secret_encrypted"])
    activity_record(
        team=repository.team,
        actor=actor,
        verb="webhook.secret_rotated",
        target=repository.name,
        obj=repository,
    )
    return secret


DEFAULT_SCHEDULE = {"minute": "0", "hour": "3", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}


@transaction.atomic
def repository_schedule_set(*, repository: Repository, crontab: dict | None) -> None:
    """Set the repository's analysis schedule (a crontab dict), or remove it with None."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if crontab is None:
        if repository.schedule is not None:
            task = repository.schedule
            repository.schedule = None
            repository.save(update_fields=["schedule"])
            task.delete()
        return
    schedule, _ = CrontabSchedule.objects.get_or_create(**crontab, timezone=settings.TIME_ZONE)
    name = f"Analyze repository {repository.pk}"
    task, _ = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": "repos.scheduled_analysis",
            "crontab": schedule,
            "interval": None,
            "args": json.dumps([repository.pk]),
            "queue": "analysis",
            "enabled": True,
        },
    )
    if repository.schedule_id != task.pk:
        repository.schedule = task
        repository.save(update_fields=["schedule"])


def repository_update_source(
    *, repository: Repository, url: str, branch: str, subfolder: str = "", actor=None
) -> None:
    changes = {
        "url": (repository.url, url),
        "branch": (repository.branch, branch),
        "subfolder": (repository.subfolder, subfolder),
    }
    if any(old != new for old, new in changes.values()):
        activity_record(
            team=repository.team,
            actor=actor,
            verb="repository.changed",
            target=repository.name,
            obj=repository,
            changes=changes,
        )
    repository.url = url
    repository.branch = branch
    repository.subfolder = subfolder
    repository.save(update_fields=["url", "branch", "subfolder"])


STALE_QUEUED_S = 2 * 60


def runs_resend_stale_queued(*, now=None) -> int:
    """Arm again the outbox row of runs queued for a while without a live one (runs queued before
    the outbox existed, or a row removed by hand): a queued run always gets to start."""
    now = now or timezone.now()
    live = OutboxMessage.objects.filter(
        dedup_key=Concat(Value("analysis-run:"), Cast(OuterRef("pk"), CharField())),
        state__in=[OutboxState.PENDING, OutboxState.CLAIMED],
    )
    stale = AnalysisRun.objects.filter(
        status=RunStatus.QUEUED, queued_at__lt=now - timedelta(seconds=STALE_QUEUED_S)
    ).exclude(Exists(live))
    run_ids = list(stale.values_list("pk", flat=True)[:1000])
    for run_id in run_ids:
        _enqueue_on_commit(run_id)
    return len(run_ids)
