"""The stored states: each applied checklist's live state, and its snapshot per run."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot
from readiness.checklists.selectors.states import checklist_state_from_facts, facts_for_repository
from readiness.repos.models import AnalysisRun, Repository, RunStatus, Trigger

logger = logging.getLogger(__name__)


def checklist_states_refresh(*, repository, now: datetime | None = None) -> list[AppliedChecklist]:
    """Recompute and store the live state of every checklist applied to the repository."""
    now = now or timezone.now()
    applied_list = list(
        AppliedChecklist.objects.filter(repository=repository)
        .select_related("template")
        .prefetch_related("template__items")
    )
    if not applied_list:
        return []
    facts = facts_for_repository(repository=repository)
    for applied in applied_list:
        state = checklist_state_from_facts(template=applied.template, facts=facts, now=now)
        applied.state = state
        applied.overall = state["overall"]
        applied.level = state["level"]
        applied.state_valid_until = (
            datetime.fromisoformat(state["valid_until"]) if state["valid_until"] else None
        )
        applied.state_updated_at = now
    AppliedChecklist.objects.bulk_update(
        applied_list, ["state", "overall", "level", "state_valid_until", "state_updated_at"]
    )
    return applied_list


def checklist_states_refresh_expired(*, team=None, now: datetime | None = None, limit: int = 500) -> int:
    """Recompute states in which an attestation fell due or a waiver expired. Cheap when none did."""
    now = now or timezone.now()
    stale = AppliedChecklist.objects.filter(state_valid_until__lte=now)
    if team is not None:
        stale = stale.filter(repository__team=team)
    repository_ids = list(stale.order_by().values_list("repository_id", flat=True).distinct()[:limit])
    for repository in Repository.objects.filter(pk__in=repository_ids):
        checklist_states_refresh(repository=repository, now=now)
    return len(repository_ids)


def checklist_snapshots_for_run(
    *, run: AnalysisRun, templates=None, keep: bool = True
) -> list[ChecklistSnapshot]:
    """Store each applied checklist's scores as of the run's place in history (idempotent per run
    and template): its end, or a backfilled commit's date (the trend puts it there). ``keep=False``
    computes them without storing (a run of another branch, tag or commit: not part of the trend)."""
    repository = run.repository
    at = run.history_time or timezone.now()
    if templates is None:
        templates = [
            a.template
            for a in AppliedChecklist.objects.filter(repository=repository).select_related("template")
        ]
    facts = facts_for_repository(repository=repository, at=at, run=run)
    snapshots = []
    for template in templates:
        state = checklist_state_from_facts(template=template, facts=facts, now=at)
        if not keep:
            snapshots.append(
                ChecklistSnapshot(
                    run=run,
                    template=template,
                    repository=repository,
                    template_slug=template.slug,
                    data=state,
                    overall=state["overall"],
                    level=state["level"],
                    taken_at=at,
                )
            )
            continue
        snapshot, _ = ChecklistSnapshot.objects.get_or_create(
            run=run,
            template=template,
            defaults={
                "repository": repository,
                "template_slug": template.slug,
                "data": state,
                "overall": state["overall"],
                "level": state["level"],
                "taken_at": at,
            },
        )
        snapshots.append(snapshot)
    return snapshots


def in_trend(run: AnalysisRun) -> bool:
    """The trend follows the tracked branch: its head's runs and its backfilled commits."""
    return not run.ref or run.trigger == Trigger.BACKFILL


def checklist_snapshot_for(*, run: AnalysisRun, template) -> ChecklistSnapshot:
    """The run's snapshot of ``template``; for a run from before the template was applied, computed
    as of the run's end and kept (comparisons read it)."""
    snapshot = ChecklistSnapshot.objects.filter(run=run, template=template).first()
    if snapshot is not None:
        snapshot.run = run  # the caller's: comparisons name it, and reading it again costs a query
    else:  # a run of another branch, tag or commit is computed only: it stays out of the trend
        snapshot = checklist_snapshots_for_run(run=run, templates=[template], keep=in_trend(run))[0]
    return snapshot


def checklist_run_finished(*, run: AnalysisRun) -> None:
    """After a run is stored: its checklist snapshots, and the live states.

    Never fails the run: the run's own results are already committed; a problem here is logged.
    """
    try:
        if run.status != RunStatus.SUCCEEDED:
            return
        if in_trend(run):  # a run of another branch, tag or commit stays out of the trend
            checklist_snapshots_for_run(run=run)
        checklist_states_refresh(repository=run.repository)
    except Exception:
        logger.exception("checklist update after run %s failed", run.pk)
