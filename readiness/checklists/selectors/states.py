"""What a checklist's state is computed from, and the one function that computes it.

Every surface that needs a checklist's state (the stored live state, snapshots of runs, the
repository page, the API's gate) calls ``checklist_state_from_facts`` with the facts of
``facts_for_repository``, so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max, Q

from readiness.checklists import status as item_status
from readiness.checklists.models import Attestation, ChecklistTemplate, Waiver
from readiness.repos.models import AnalysisRun, CheckResult


def facts_for_repository(*, repository, at: datetime | None = None, run: AnalysisRun | None = None) -> dict:
    """What item statuses are computed from, as of ``at`` (now by default): check statuses of
    ``run`` (default: the latest succeeded run), current attestations and waivers per (slug, key)."""
    if run is None:
        run = AnalysisRun.objects.filter(repository=repository).latest_succeeded(at=at)
    check_statuses = None
    if run is not None:
        check_statuses = dict(CheckResult.objects.filter(run=run).values_list("check_id", "status"))
    attestation_rows = Attestation.objects.filter(repository=repository)
    waiver_rows = Waiver.objects.filter(repository=repository)
    if at is not None:
        attestation_rows = attestation_rows.filter(recorded_at__lte=at)
        waiver_rows = waiver_rows.filter(created_at__lte=at).filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
        )
    else:
        waiver_rows = waiver_rows.filter(revoked_at__isnull=True)
    latest_ids = attestation_rows.values("template_slug", "item_key").annotate(last=Max("id")).values("last")
    attestations = {
        (a.template_slug, a.item_key): item_status.AttestationFact(a.checked, a.at)
        for a in Attestation.objects.filter(id__in=latest_ids)
    }
    waivers = {}
    for w in waiver_rows.order_by("created_at", "id"):
        waivers[(w.template_slug, w.item_key)] = item_status.WaiverFact(w.expires_on, None)
    return {"run": run, "check_statuses": check_statuses, "attestations": attestations, "waivers": waivers}


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
    )
