"""A repository's checklists with each item's live status and what explains it."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404
from django.utils import timezone

from readiness.checklists import status as item_status
from readiness.checklists.models import AppliedChecklist, Attestation, ItemNote, TemplateItem, Waiver
from readiness.checklists.score import NOT_ANALYSED, ReadinessScore, score_from_state
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
    "inapplicable": "does not apply",
}

# The page's tabs: each status belongs to one group. Items that do not apply (their condition does
# not hold, or none of their checks applies: "na") are hidden unless asked for.
STATUS_GROUPS = {
    "fail": "failing",
    "error": "failing",
    "warn": "failing",
    "todo": "review",
    "due": "review",
    "pending": "review",
    "waived": "waived",
    "pass": "done",
    "done": "done",
    "na": "na",
    "inapplicable": "na",
}
TABS = (
    ("all", "All"),
    ("failing", "Failing"),
    ("review", "To review"),
    ("waived", "Waived"),
    ("done", "Done"),
)
SHOW_CHOICES = {key for key, _ in TABS} | {"na"}


def checklists_for_repository(
    *,
    repository,
    now: datetime | None = None,
    only_slug: str | None = None,
    only_key: str | None = None,
    details: bool = True,
) -> dict:
    """Every applied checklist of a repository with each item's live status, evidence, fix,
    attestation, waiver and note count (computed now, not read from the stored state).

    ``only_slug`` / ``only_key``: one checklist / one item of it (an item's details);
    ``details=False`` leaves out what only an item's details show (check results with their
    evidence and fixes, attestation and waiver records, notes): the list of items shows each item's
    status, which comes from the facts either way (four queries fewer on the checklist page)."""
    now = now or timezone.now()
    items_qs = TemplateItem.objects.all() if only_key is None else TemplateItem.objects.filter(key=only_key)
    applied_qs = (
        AppliedChecklist.objects.filter(repository=repository)
        .select_related("template")
        .prefetch_related(Prefetch("template__items", queryset=items_qs))
    )
    if only_slug:
        applied_qs = applied_qs.filter(template__slug=only_slug)
    applied_list = list(applied_qs)
    facts = facts_for_repository(repository=repository)
    run = facts["run"]

    @functools.cache
    def latest_run() -> dict:
        # Read only for a checklist not analysed (its score says why: failed, or not yet), and once.
        return repository.runs.newest_first().values("status", "error").first() or {}

    results = {}
    if run and details:
        rows = CheckResult.objects.filter(run=run)
        if only_key is not None:
            rows = rows.filter(
                check_id__in={c for a in applied_list for i in a.template.items.all() for c in i.checks}
            )
        results = {r.check_id: r for r in rows}
    mine = {"repository": repository, **({"item_key": only_key} if only_key is not None else {})}
    records = _item_records(mine) if details else ({}, {}, {}, {})
    current_attestations, waivers, note_counts, latest_notes = records

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
                "underlying": _underlying(item, facts, slug, now) if details else "",
                "group": STATUS_GROUPS.get(status, "review"),
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
                "score": _score(state, latest_run),
                "categories": list(categories.values()),
            }
        )
    return {"run": run, "checklists": checklists}


def _score(state: dict, latest_run: Callable[[], dict]) -> ReadinessScore:
    """The checklist's score; without an analysis, the latest run says why (failed, or not yet)."""
    score = score_from_state(state)
    if score.status != NOT_ANALYSED:
        return score
    run = latest_run()
    return score_from_state(state, run_status=run.get("status"), run_error=run.get("error", ""))


def _item_records(mine: dict) -> tuple[dict, dict, dict, dict]:
    """The people's records behind items (``mine``: a repository, maybe one item key), each per
    (slug, key): current attestations, current waivers, note counts, latest notes."""
    latest = Attestation.objects.filter(
        repository=mine["repository"], template_slug=OuterRef("template_slug"), item_key=OuterRef("item_key")
    ).order_by("-id")
    attestations = {
        (a.template_slug, a.item_key): a
        for a in Attestation.objects.filter(**mine, id=Subquery(latest.values("id")[:1])).select_related("by")
    }
    waivers = {
        (w.template_slug, w.item_key): w
        for w in Waiver.objects.filter(**mine, revoked_at__isnull=True).select_related("granted_by")
    }
    note_counts: dict = defaultdict(int)
    latest_notes: dict = {}
    for note in ItemNote.objects.filter(**mine).select_related("author").order_by("-created_at", "-id"):
        ref = (note.template_slug, note.item_key)
        note_counts[ref] += 1
        latest_notes.setdefault(ref, note)
    return attestations, waivers, note_counts, latest_notes


def _matches(entry: dict, terms: list[str]) -> bool:
    if not terms:
        return True
    item = entry["item"]
    text = " ".join([item.title, item.key, item.category_title, entry["label"], *item.checks]).lower()
    return all(term in text for term in terms)


def checklist_page(*, repository, show: str = "all", query: str = "") -> dict:
    """``checklists_for_repository`` filtered for the checklist page: the items of one tab
    (``show``: all, failing, review, waived, done, or na for the items that do not apply) whose
    title, key, category, status or check ids contain every word of ``query``.

    Each category gets ``shown`` (the entries to list) and ``collapsed`` (in the "all" tab, the
    passing entries, folded away); ``counts`` has the number of matching items per tab."""
    show = show if show in SHOW_CHOICES else "all"
    terms = query.lower().split()
    data = checklists_for_repository(repository=repository, details=False)
    counts = dict.fromkeys([*(key for key, _ in TABS), "na"], 0)
    for checklist in data["checklists"]:
        for category in checklist["categories"]:
            matching = [entry for entry in category["items"] if _matches(entry, terms)]
            for entry in matching:
                counts[entry["group"]] += 1
            if show == "all":
                category["shown"] = [e for e in matching if e["group"] not in ("na", "done")]
                category["collapsed"] = [e for e in matching if e["group"] == "done"]
            else:
                category["shown"] = [e for e in matching if e["group"] == show]
                category["collapsed"] = []
    counts["all"] = sum(n for key, n in counts.items() if key not in ("all", "na"))
    tabs = [{"key": key, "label": label, "count": counts[key], "current": key == show} for key, label in TABS]
    shown_any = any(
        category["shown"] or category["collapsed"]
        for checklist in data["checklists"]
        for category in checklist["categories"]
    )
    return {
        **data,
        "show": show,
        "query": query,
        # What the tab links add to keep the search.
        "query_param": f"&q={quote(query)}" if query else "",
        "counts": counts,
        "tabs": tabs,
        "shown_any": shown_any,
    }


def _underlying(item, facts, slug, now) -> str:
    state = item_status.item_state(
        item,
        check_statuses=facts["check_statuses"],
        attestation=facts["attestations"].get((slug, item.key)),
        waiver=None,
        now=now,
        repo_facts=facts.get("repository_facts"),
    )
    return state.status


def checklist_item_entry(*, repository, template_slug: str, item_key: str) -> tuple[dict, dict]:
    """(the checklist, the item entry) for re-rendering one item row after an action."""
    data = checklists_for_repository(repository=repository, only_slug=template_slug, only_key=item_key)
    for checklist in data["checklists"]:
        for category in checklist["categories"]:
            for entry in category["items"]:
                if entry["item"].key == item_key:
                    return checklist, entry
    raise Http404
