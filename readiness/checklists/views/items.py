"""A repository's checklists, the inline item actions (tick, undo, waive, end waiver, note), an
item's history, and applying a template."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.badge import sparkline_svg
from readiness.checklists.errors import ChecklistError
from readiness.checklists.forms import AttestForm, NoteForm, WaiverForm
from readiness.checklists.selectors.history import item_history as item_events
from readiness.checklists.selectors.history import weekly_trends_for_repository
from readiness.checklists.selectors.items import checklist_item_entry, checklist_page
from readiness.checklists.selectors.templates import template_get_for_team, template_list_for_team
from readiness.checklists.selectors.waivers import waiver_active
from readiness.checklists.services import applied as applied_services
from readiness.checklists.services import records
from readiness.checklists.views.common import checklist_url, item_url, with_item_urls
from readiness.core.confirm import confirmation
from readiness.repos.access import repository_view
from readiness.teams.models import Role

HISTORY_LIMIT = 100
DETAIL_EVENTS = 10  # the latest events shown in an item's details (the history page has them all)


def _perms(membership) -> dict:
    return {
        "can_attest": membership.can_edit,
        "can_waive": membership.is_lead,
        "can_note": membership.can_edit,
    }


@repository_view()
def repository_checklists(request, membership, repository):
    """The page: scores, then the items of one tab (?show=) matching a search (?q=), each a row
    whose details (evidence, fix, sources, history, actions) load when opened (``item_detail``).
    htmx asks for a part by its target: the score cards or the item list."""
    target = request.htmx.target if request.htmx else None
    data = checklist_page(
        repository=repository,
        show=request.GET.get("show", "all"),
        query=request.GET.get("q", "")[:200],
    )
    checklists_url = checklist_url(membership.team.slug, repository.slug)
    with_item_urls(data["checklists"], checklists_url)
    context = {
        "team": membership.team,
        "membership": membership,
        "repository": repository,
        "run": data["run"],
        "checklists": data["checklists"],
        "show": data["show"],
        "query": data["query"],
        "counts": data["counts"],
        "tabs": data["tabs"],
        "query_param": data["query_param"],
        "shown_any": data["shown_any"],
        "checklists_url": checklists_url,
        **_perms(membership),
    }
    if target == "checklist-items":
        return render(request, "checklists/_items_swap.html", context)
    trends = weekly_trends_for_repository(repository=repository)
    for checklist in data["checklists"]:
        checklist["sparkline"] = sparkline_svg(trends.get(checklist["template"].pk, []), width=160, height=32)
    if target == "checklist-scores":  # the score cards again, after an item changed
        return render(request, "checklists/_scores.html", context)
    context["templates"] = template_list_for_team(team=membership.team).exclude(
        slug__in=[c["template"].slug for c in data["checklists"]]
    )
    context["badge_url"] = _badge_url(request, data["checklists"])
    if request.htmx:
        return render(request, "checklists/_checklists.html", context)
    return render(request, "checklists/repository_checklists.html", context)


def _badge_url(request, checklists) -> str:
    for checklist in checklists:
        if checklist["applied"].primary:
            return request.build_absolute_uri(
                reverse("checklists:badge", kwargs={"token": checklist["applied"].badge_token})
            )
    return ""


def _item_context(membership, repository, template_slug, item_key, **extra) -> dict:
    checklist, entry = checklist_item_entry(
        repository=repository, template_slug=template_slug, item_key=item_key
    )
    checklists_url = checklist_url(membership.team.slug, repository.slug)
    entry["url"] = item_url(checklists_url, template_slug, item_key)
    return {
        "team": membership.team,
        "repository": repository,
        "checklist": checklist,
        "entry": entry,
        "events": item_events(
            repository=repository, template_slug=template_slug, item_key=item_key, limit=DETAIL_EVENTS
        ),
        "events_limit": DETAIL_EVENTS,
        "checklists_url": checklists_url,
        "today": timezone.localdate(),
        "waiver_latest": records.waiver_latest_expiry(team=membership.team),
        **_perms(membership),
        **extra,
    }


def _item_response(
    request, membership, repository, template_slug, item_key, *, undo=False, error="", field=""
):
    """htmx: the item's row again, opened, focus on it (or on the field in error); otherwise back to
    the page at the item."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(
            checklist_url(membership.team.slug, repository.slug, f"item-{template_slug}-{item_key}")
        )
    context = _item_context(
        membership,
        repository,
        template_slug,
        item_key,
        show_undo=undo,
        error=error,
        error_field=field,
        submitted=request.POST,
        expanded=True,
        focus=True,
    )
    response = render(request, "checklists/_item.html", context, status=400 if error else 200)
    # The checklist's score changed: the page listens for this event to refresh its score line.
    response["HX-Trigger"] = "checklist-changed"
    return response


@repository_view()
def item_detail(request, membership, repository, template_slug, item_key):
    """One item's details: evidence with the offending lines, fixes and their diffs, sources, the
    latest events and the actions. htmx: the part a row loads when opened; otherwise a page."""
    context = _item_context(membership, repository, template_slug, item_key, expanded=True)
    if request.htmx:
        return render(request, "checklists/_item_detail.html", context)
    return render(request, "checklists/item_detail.html", context)


def _item_view(
    *,
    min_role: str,
    refusal: str,
    act,
    form_class=None,
    invalid: str = "",
    undo: bool = False,
    confirm=None,
    field: str = "",
):
    """The one skeleton of every item action: role, form, service call, the item row back.

    ``act(repository=, template_slug=, item_key=, user=, data=)`` calls the service; a
    ChecklistError it raises is shown on the item (400 with htmx). A destructive action passes
    ``confirm(request, repository, template_slug, item_key)``, the page its GET answers.
    ``field``: the form an error belongs to (evidence_url, waiver, note), opened and focused with
    what was typed."""

    @repository_view(methods=["GET", "POST"] if confirm else ["POST"], min_role=min_role, refusal=refusal)
    def view(request, membership, repository, template_slug, item_key):
        if request.method == "GET":
            return confirm(request, repository, template_slug, item_key)
        where = (request, membership, repository, template_slug, item_key)
        data = {}
        if form_class is not None:
            form = form_class(request.POST)
            if not form.is_valid():
                return _item_response(*where, error=invalid, field=field)
            data = form.cleaned_data
        try:
            act(
                repository=repository,
                template_slug=template_slug,
                item_key=item_key,
                user=request.user,
                data=data,
            )
        except ChecklistError as exc:
            return _item_response(*where, error=str(exc), field=field)
        return _item_response(*where, undo=undo)

    view.__name__ = view.__qualname__ = f"item{act.__name__}"
    return view


def _attest(*, data, **item):
    records.attestation_record(
        **item, checked=data["checked"], evidence_url=data["evidence_url"] or "", note=data["note"] or ""
    )


def _undo(*, data, **item):
    records.attestation_undo(**item)


def _waive(*, data, **item):
    records.waiver_grant(**item, reason=data["reason"], expires_on=data["expires_on"])


def _revoke(*, data, user, **item):
    try:
        records.item_get_applied(**item)
    except ChecklistError:
        raise Http404 from None
    records.waiver_revoke(**item, user=user)


def _confirm_revoke(request, repository, template_slug, item_key):
    try:
        item = records.item_get_applied(repository=repository, template_slug=template_slug, item_key=item_key)
    except ChecklistError:
        raise Http404 from None
    waiver = waiver_active(repository=repository, template_slug=template_slug, item_key=item_key)
    return confirmation(
        request,
        title="End the waiver?",
        question=f"“{item.title}” of {repository.name} counts in the scores again from now on.",
        details=[f"Waived by {waiver.granted_by or 'someone'} until {waiver.expires_on}: {waiver.reason}"]
        if waiver
        else ["This item has no active waiver."],
        button=f"End the waiver of “{item.title}”",
        cancel=checklist_url(repository.team.slug, repository.slug, f"item-{template_slug}-{item_key}"),
    )


def _note(*, data, **item):
    records.note_add(**item, text=data["text"])


item_attest = _item_view(
    min_role=Role.ENGINEER,
    refusal="Viewers cannot tick items.",
    act=_attest,
    form_class=AttestForm,
    invalid="Invalid evidence link.",
    undo=True,
    field="evidence_url",
)
item_undo = _item_view(min_role=Role.ENGINEER, refusal="Viewers cannot tick items.", act=_undo)
item_waive = _item_view(
    min_role=Role.LEAD,
    refusal="Only team leads can grant waivers.",
    act=_waive,
    form_class=WaiverForm,
    invalid="A waiver needs a reason and an expiry date.",
    field="waiver",
)
item_revoke = _item_view(
    min_role=Role.LEAD, refusal="Only team leads can end waivers.", act=_revoke, confirm=_confirm_revoke
)
item_note = _item_view(
    min_role=Role.ENGINEER,
    refusal="Viewers cannot add notes.",
    act=_note,
    form_class=NoteForm,
    invalid="A note cannot be empty.",
    field="note",
)


@repository_view()
def item_history(request, membership, repository, template_slug, item_key):
    checklist, entry = checklist_item_entry(
        repository=repository, template_slug=template_slug, item_key=item_key
    )
    context = {
        "team": membership.team,
        "repository": repository,
        "checklist": checklist,
        "entry": entry,
        "events": item_events(
            repository=repository, template_slug=template_slug, item_key=item_key, limit=HISTORY_LIMIT
        ),
    }
    if request.htmx:
        return render(request, "checklists/_history.html", context)
    return render(request, "checklists/item_history.html", context)


@repository_view(methods=["POST"], min_role=Role.LEAD, refusal="Only team leads can apply templates.")
def checklist_apply(request, membership, repository):
    try:
        template_id = int(request.POST.get("template", ""))
    except ValueError:
        raise Http404 from None
    template = template_get_for_team(team=membership.team, template_id=template_id)
    applied_services.checklist_apply(repository=repository, template=template, user=request.user)
    messages.success(request, f"Applied “{template.title}”.")
    return redirect(checklist_url(membership.team.slug, repository.slug))
