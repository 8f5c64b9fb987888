"""What a checklist's state is computed from, and the one function that computes it.

Every surface that needs a checklist's state (the stored live state, snapshots of runs, the
repository page, the API's gate, the weekly report at the two ends of its week) calls
``checklist_state_from_facts`` with the facts of ``facts_for_repository`` (or, for many
repositories at once, ``facts_for_repositories``, which it is), so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max, OuterRef, Q, Subquery

from readiness.checklists import status as item_status
from readiness.checklists.models import Attestation, ChecklistTemplate, Waiver
from readiness.repos.models import AnalysisRun, CheckResult


def facts_for_repository(*, repository, at: datetime | None = None, run: AnalysisRun | None = None) -> dict:
    """What item statuses are computed from, as of ``at`` (now by default): check statuses of
    ``run`` (default: the latest succeeded run), the engine's facts of that run (applicability),
    current attestations and waivers per (slug, key)."""
    runs = None if run is None else {repository.pk: run}
    return facts_for_repositories(repository_ids=[repository.pk], at=at, runs=runs)[repository.pk]


def facts_for_repositories(*, repository_ids, at: datetime | None = None, runs: dict | None = None) -> dict:
    """``facts_for_repository`` for many repositories at once, ``{repository id: facts}``, in four
    queries whatever their number (a team's weekly report reads every repository at two moments).
    ``runs`` maps a repository id to the run to read instead of its latest succeeded one by ``at``."""
    ids = list(repository_ids)
    if runs is None:
        latest = AnalysisRun.objects.filter(repository=OuterRef("repository_id")).finished_newest_first()
        if at is not None:
            latest = latest.filter(finished_at__lte=at)
        runs = {
            run.repository_id: run
            for run in AnalysisRun.objects.filter(repository_id__in=ids, id=Subquery(latest.values("id")[:1]))
        }
    check_statuses: dict[int, dict] = {run.pk: {} for run in runs.values() if run is not None}
    rows = CheckResult.objects.filter(run_id__in=list(check_statuses))
    for run_id, check_id, status in rows.values_list("run_id", "check_id", "status"):
        check_statuses[run_id][check_id] = status
    attestation_rows = Attestation.objects.filter(repository_id__in=ids)
    waiver_rows = Waiver.objects.filter(repository_id__in=ids)
    if at is not None:
        attestation_rows = attestation_rows.filter(recorded_at__lte=at)
        waiver_rows = waiver_rows.filter(created_at__lte=at).filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
        )
    else:
        waiver_rows = waiver_rows.filter(revoked_at__isnull=True)
    latest_ids = (
        attestation_rows.values("repository_id", "template_slug", "item_key")
        .annotate(last=Max("id"))
        .values("last")
    )
    facts = {
        rid: {
            "run": runs.get(rid),
            "check_statuses": check_statuses[runs[rid].pk] if runs.get(rid) is not None else None,
            # What the engine reported about the repository (stack, files...): item applicability.
            "repository_facts": runs[rid].facts if runs.get(rid) is not None else None,
            "attestations": {},
            "waivers": {},
        }
        for rid in ids
    }
    for a in Attestation.objects.filter(id__in=latest_ids):
        fact = item_status.AttestationFact(a.checked, a.at)
        facts[a.repository_id]["attestations"][(a.template_slug, a.item_key)] = fact
    for w in waiver_rows.order_by("created_at", "id"):
        facts[w.repository_id]["waivers"][(w.template_slug, w.item_key)] = item_status.WaiverFact(
            w.expires_on, None
        )
    return facts


def checklist_state_from_facts(
    *, template: ChecklistTemplate, facts: dict, now: datetime, items=None
) -> dict:
    """The state of ``template`` on the repository whose ``facts`` these are, as of ``now``:
    overall and category scores, level, item statuses, waived count, valid_until.
    ``items`` defaults to the template's items (pass them when already loaded)."""
    slug = template.slug
    return item_status.checklist_state(
        list(template.items.all()) if items is None else items,
        check_statuses=facts["check_statuses"],
        attestations={key: f for (s, key), f in facts["attestations"].items() if s == slug},
        waivers={key: f for (s, key), f in facts["waivers"].items() if s == slug},
        now=now,
        repo_facts=facts.get("repository_facts"),
    )
