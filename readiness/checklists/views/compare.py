"""Comparing two runs of a repository: the page, and its Markdown and CSV downloads."""

from __future__ import annotations

import re
from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import dateformat, timezone
from django.utils.text import Truncator

from readiness.checklists.score import run_scores
from readiness.checklists.selectors import compare as selectors
from readiness.checklists.selectors.exports import comparison_csv, comparison_markdown
from readiness.checklists.services.states import checklist_snapshot_for
from readiness.repos.access import repository_view
from readiness.repos.models import AnalysisRun, Trigger


def _pick_run(repository, run_id, day, commit=""):
    """The run a side of the comparison names: a run id (404 when not this repository's succeeded
    run), a commit (full or a prefix; None when no succeeded run analysed it) or a day (the run
    current at its end)."""
    if commit:
        return selectors.run_of_commit(repository=repository, commit=commit)
    if run_id:
        try:
            return selectors.runs_for_compare(repository=repository).get(pk=int(run_id))
        except (ValueError, AnalysisRun.DoesNotExist):
            raise Http404 from None
    if day:
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            raise Http404 from None
        return selectors.run_at_end_of_day(repository=repository, day=parsed)
    return None


def _run_label(run) -> str:
    """A run as the two pickers list it: "#12 · 2026-05-01 14:00 · v2.0 · 1a2b3c4 · 8.2". Made once
    per run here: as an included template, repeated in both pickers, it cost 2-3 ms a page."""
    backfilled = run.trigger == Trigger.BACKFILL and run.commit_date
    moment = run.commit_date if backfilled else run.finished_at
    when = dateformat.format(timezone.localtime(moment), "Y-m-d H:i") if moment else ""
    parts = [f"#{run.pk}", f"{when} (commit)" if backfilled else when]
    if run.ref and run.trigger != Trigger.BACKFILL:
        parts.append(Truncator(run.ref).chars(24))
    if run.commit_sha:
        parts.append(run.commit_sha[:7])
    if run.readiness is not None and run.readiness.scored:
        parts.append(run.readiness.short)
    return " · ".join(parts)


FULL_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@repository_view()
def compare(request, membership, repository):
    applied_list = list(repository.checklists.select_related("template"))
    slug = request.GET.get("template")
    applied = next((a for a in applied_list if a.template.slug == slug), None) if slug else None
    applied = applied or next((a for a in applied_list if a.primary), None)
    commits = {side: request.GET.get(f"{side}_commit", "").strip()[:64] for side in ("before", "after")}
    before = _pick_run(
        repository, request.GET.get("before"), request.GET.get("before_date"), commits["before"]
    )
    after = _pick_run(repository, request.GET.get("after"), request.GET.get("after_date"), commits["after"])
    # A commit nobody analysed yet: said on the page, with a button to analyse it.
    unanalysed = [
        {"side": side, "commit": commit, "full": bool(FULL_COMMIT.fullmatch(commit.lower()))}
        for side, commit, run in (("before", commits["before"], before), ("after", commits["after"], after))
        if commit and run is None
    ]
    if before is None and after is None and not unanalysed:
        before, after = selectors.default_compare_runs(repository=repository)
    comparison = None
    if applied is not None and before is not None and after is not None:
        comparison = selectors.compare_snapshots(
            before=checklist_snapshot_for(run=before, template=applied.template),
            after=checklist_snapshot_for(run=after, template=applied.template),
            template=applied.template,
        )
    fmt = request.GET.get("format")
    if fmt in ("md", "csv"):
        if comparison is None:
            raise Http404("Nothing to compare yet.")
        name = f"{repository.slug}-run{before.pk}-vs-run{after.pk}"
        if fmt == "md":
            text = comparison_markdown(comparison, repository=repository, template=applied.template)
            response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        else:
            response = HttpResponse(comparison_csv(comparison), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
    # The pickers' runs: up to 200, without the engine's facts and notes they do not show.
    runs = list(selectors.runs_for_compare(repository=repository).defer("facts", "notes")[:200])
    scores = run_scores(
        repository=repository, runs=runs, template_slug=applied.template.slug if applied else None
    )
    for r in runs:
        r.readiness = scores.get(r.pk)
        r.label = _run_label(r)
    context = {
        "team": membership.team,
        "repository": repository,
        "applied_list": applied_list,
        "applied": applied,
        "before": before,
        "after": after,
        "runs": runs,
        "comparison": comparison,
        "commits": commits,
        "unanalysed": unanalysed,
        "can_analyze": membership.can_edit and not repository.is_archived,
        "markdown": comparison_markdown(comparison, repository=repository, template=applied.template)
        if comparison
        else "",
        "query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "checklists/_compare.html", context)
    return render(request, "checklists/compare.html", context)
