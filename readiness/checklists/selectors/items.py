"""A repository's checklists with each item's live status and what explains it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from readiness.checklists import status as item_status
from readiness.checklists.models import AppliedChecklist, Attestation, ItemNote, Waiver
from readiness.checklists.score import score_from_state
from readiness.checklists.selectors.states import checklist_state_from_facts, facts_for_repository
from readiness.engine.scoring import CATEGORY_TITLES
from readiness.repos.models import CheckResult

CATEGORY_ORDER = list(CATEGORY_TITLES)  # the dashboard's and the e-mail's column order

STATUS_LABELS = {
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "error": "error",
    "na": "n/a",
    "pending": "not analysed",
    "done": "done",
    "todo": "to do",
    "due": "due again",
    "waived": "waived",
}


def checklists_for_repository(
    *, repository, now: datetime | None = None, only_slug: str | None = None
) -> dict:
    """Every applied checklist of a repository with each item's live status, evidence, fix,
    attestation, waiver and note count (computed now, not read from the stored state)."""
    now = now or timezone.now()
    applied_qs = (
        AppliedChecklist.objects.filter(repository=repository)
        .select_related("template")
        .prefetch_related("template__items")
    )
    if only_slug:
        applied_qs = applied_qs.filter(template__slug=only_slug)
    applied_list = list(applied_qs)
    facts = facts_for_repository(repository=repository)
    run = facts["run"]
    latest_run = repository.runs.newest_first().values("status", "error").first() or {}
    results = {r.check_id: r for r in CheckResult.objects.filter(run=run)} if run else {}
    current_attestations = {}
    latest = Attestation.objects.filter(
        repository=repository, template_slug=OuterRef("template_slug"), item_key=OuterRef("item_key")
    ).order_by("-id")
    for a in Attestation.objects.filter(
        repository=repository, id=Subquery(latest.values("id")[:1])
    ).select_related("by"):
        current_attestations[(a.template_slug, a.item_key)] = a
    waivers = {
        (w.template_slug, w.item_key): w
        for w in Waiver.objects.filter(repository=repository, revoked_at__isnull=True).select_related(
            "granted_by"
        )
    }
    note_counts: dict = defaultdict(int)
    latest_notes: dict = {}
    for note in (
        ItemNote.objects.filter(repository=repository).select_related("author").order_by("-created_at", "-id")
    ):
        ref = (note.template_slug, note.item_key)
        note_counts[ref] += 1
        latest_notes.setdefault(ref, note)

    checklists = []
    for applied in applied_list:
        slug = applied.template.slug
        items = list(applied.template.items.all())
        state = checklist_state_from_facts(template=applied.template, facts=facts, now=now, items=items)
        categories: dict[str, dict] = {}
        for item in items:
            ref = (slug, item.key)
            waiver = waivers.get(ref)
            status = state["items"][item.key]
            entry = {
                "item": item,
                "status": status,
                "label": STATUS_LABELS.get(status, status),
                "results": [results[c] for c in item.checks if c in results],
                "attestation": current_attestations.get(ref),
                "waiver": waiver if status == "waived" else None,
                "notes": note_counts.get(ref, 0),
                "latest_note": latest_notes.get(ref),
                "underlying": _underlying(item, facts, slug, now),
            }
            category = categories.setdefault(
                item.category_id,
                {
                    "id": item.category_id,
                    "title": item.category_title,
                    "score": state["categories"][item.category_id]["score"],
                    "items": [],
                },
            )
            category["items"].append(entry)
        checklists.append(
            {
                "applied": applied,
                "template": applied.template,
                "state": state,
                "score": score_from_state(
                    state, run_status=latest_run.get("status"), run_error=latest_run.get("error", "")
                ),
                "categories": list(categories.values()),
            }
        )
    return {"run": run, "checklists": checklists}


def _underlying(item, facts, slug, now) -> str:
    state = item_status.item_state(
        item,
        check_statuses=facts["check_statuses"],
        attestation=facts["attestations"].get((slug, item.key)),
        waiver=None,
        now=now,
    )
    return state.status


def checklist_item_entry(*, repository, template_slug: str, item_key: str) -> tuple[dict, dict]:
    """(the checklist, the item entry) for re-rendering one item row after an action."""
    data = checklists_for_repository(repository=repository, only_slug=template_slug)
    for checklist in data["checklists"]:
        for category in checklist["categories"]:
            for entry in category["items"]:
                if entry["item"].key == item_key:
                    return checklist, entry
    raise Http404
