"""Checklist pages: a repository's checklists and their inline actions, item history, run
comparison, the team dashboard, templates (import, export, binding) and the public badge.

Every view finds the team through the user's membership (another team's objects are 404) and
checks the role for writes (403). Each page works without JavaScript; with htmx, actions swap one
item row and pages swap their main section.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from readiness.checklists import selectors, services
from readiness.checklists.badge import badge_svg, sparkline_svg
from readiness.checklists.forms import AttestForm, BindForm, ImportForm, NoteForm, WaiverForm
from readiness.checklists.models import ChecklistSnapshot, ChecklistTemplate, TemplateItem
from readiness.checklists.template_format import Category, Item, SourceRef, Template
from readiness.checklists.template_markdown import template_to_markdown
from readiness.core.confirm import confirmation
from readiness.repos import selectors as repo_selectors
from readiness.repos.models import AnalysisRun
from readiness.teams.models import Role
from readiness.teams.selectors import membership_get, role_at_least

DASHBOARD_PER_PAGE = 25
HISTORY_LIMIT = 100


def _repo(request, team_slug, repo_slug):
    membership = membership_get(user=request.user, team_slug=team_slug)
    repository = repo_selectors.repository_get(team=membership.team, slug=repo_slug)
    return membership, repository


def _checklist_url(team_slug, repo_slug, anchor=""):
    url = reverse("checklists:repository", kwargs={"team_slug": team_slug, "repo_slug": repo_slug})
    return f"{url}#{anchor}" if anchor else url


def _perms(membership) -> dict:
    return {
        "can_attest": role_at_least(membership, Role.ENGINEER),
        "can_waive": role_at_least(membership, Role.LEAD),
        "can_note": role_at_least(membership, Role.ENGINEER),
    }


# A repository's checklists ---------------------------------------------------------------------


@login_required
@require_GET
def repository_checklists(request, team_slug, repo_slug):
    membership, repository = _repo(request, team_slug, repo_slug)
    data = selectors.checklists_for_repository(repository=repository)
    trends = selectors.weekly_trends_for_repository(repository=repository)
    for checklist in data["checklists"]:
        checklist["sparkline"] = sparkline_svg(trends.get(checklist["template"].pk, []), width=160, height=32)
    context = {
        "team": membership.team,
        "membership": membership,
        "repository": repository,
        "run": data["run"],
        "checklists": data["checklists"],
        "templates": selectors.template_list_for_team(team=membership.team).exclude(
            slug__in=[c["template"].slug for c in data["checklists"]]
        ),
        "today": timezone.localdate(),
        "waiver_latest": services.waiver_latest_expiry(team=membership.team),
        "checklists_url": _checklist_url(team_slug, repo_slug),  # item action URLs start with it
        "badge_url": _badge_url(request, data["checklists"]),
        **_perms(membership),
    }
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


def _item_response(request, membership, repository, template_slug, item_key, *, undo=False, error=""):
    """htmx: the re-rendered item row; otherwise back to the page at the item."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(
            _checklist_url(membership.team.slug, repository.slug, f"item-{template_slug}-{item_key}")
        )
    checklist, entry = selectors.checklist_item_entry(
        repository=repository, template_slug=template_slug, item_key=item_key
    )
    context = {
        "team": membership.team,
        "repository": repository,
        "checklist": checklist,
        "entry": entry,
        "show_undo": undo,
        "checklists_url": _checklist_url(membership.team.slug, repository.slug),
        "error": error,
        "today": timezone.localdate(),
        "waiver_latest": services.waiver_latest_expiry(team=membership.team),
        **_perms(membership),
    }
    response = render(request, "checklists/_item.html", context, status=400 if error else 200)
    # The checklist's score changed: the page listens for this event to refresh its score line.
    response["HX-Trigger"] = "checklist-changed"
    return response


@login_required
@require_POST
def item_attest(request, team_slug, repo_slug, template_slug, item_key):
    membership, repository = _repo(request, team_slug, repo_slug)
    if not role_at_least(membership, Role.ENGINEER):
        return HttpResponseForbidden("Viewers cannot tick items.")
    form = AttestForm(request.POST)
    if not form.is_valid():
        return _item_response(
            request, membership, repository, template_slug, item_key, error="Invalid evidence link."
        )
    try:
        services.attestation_record(
            repository=repository,
            template_slug=template_slug,
            item_key=item_key,
            checked=form.cleaned_data["checked"],
            user=request.user,
            evidence_url=form.cleaned_data["evidence_url"] or "",
            note=form.cleaned_data["note"] or "",
        )
    except services.ChecklistError as exc:
        return _item_response(request, membership, repository, template_slug, item_key, error=str(exc))
    return _item_response(request, membership, repository, template_slug, item_key, undo=True)


@login_required
@require_POST
def item_undo(request, team_slug, repo_slug, template_slug, item_key):
    membership, repository = _repo(request, team_slug, repo_slug)
    if not role_at_least(membership, Role.ENGINEER):
        return HttpResponseForbidden("Viewers cannot tick items.")
    try:
        services.attestation_undo(
            repository=repository, template_slug=template_slug, item_key=item_key, user=request.user
        )
    except services.ChecklistError as exc:
        return _item_response(request, membership, repository, template_slug, item_key, error=str(exc))
    return _item_response(request, membership, repository, template_slug, item_key)


@login_required
@require_POST
def item_waive(request, team_slug, repo_slug, template_slug, item_key):
    membership, repository = _repo(request, team_slug, repo_slug)
    if not role_at_least(membership, Role.LEAD):
        return HttpResponseForbidden("Only team leads can grant waivers.")
    form = WaiverForm(request.POST)
    if not form.is_valid():
        return _item_response(
            request,
            membership,
            repository,
            template_slug,
            item_key,
            error="A waiver needs a reason and an expiry date.",
        )
    try:
        services.waiver_grant(
            repository=repository,
            template_slug=template_slug,
            item_key=item_key,
            reason=form.cleaned_data["reason"],
            expires_on=form.cleaned_data["expires_on"],
            user=request.user,
        )
    except services.ChecklistError as exc:
        return _item_response(request, membership, repository, template_slug, item_key, error=str(exc))
    return _item_response(request, membership, repository, template_slug, item_key)


@login_required
@require_http_methods(["GET", "POST"])
def item_revoke(request, team_slug, repo_slug, template_slug, item_key):
    membership, repository = _repo(request, team_slug, repo_slug)
    if not role_at_least(membership, Role.LEAD):
        return HttpResponseForbidden("Only team leads can end waivers.")
    try:
        item = services._current_item(repository, template_slug, item_key)
    except services.ChecklistError:
        raise Http404 from None
    if request.method == "GET":  # the confirmation page names the waiver that ends
        waiver = selectors.waiver_active(
            repository=repository, template_slug=template_slug, item_key=item_key
        )
        return confirmation(
            request,
            title="End the waiver?",
            question=f"“{item.title}” of {repository.name} counts in the scores again from now on.",
            details=[f"Waived by {waiver.granted_by or 'someone'} until {waiver.expires_on}: {waiver.reason}"]
            if waiver
            else ["This item has no active waiver."],
            button=f"End the waiver of “{item.title}”",
            cancel=_checklist_url(team_slug, repo_slug, f"item-{template_slug}-{item_key}"),
        )
    services.waiver_revoke(
        repository=repository, template_slug=template_slug, item_key=item_key, user=request.user
    )
    return _item_response(request, membership, repository, template_slug, item_key)


@login_required
@require_POST
def item_note(request, team_slug, repo_slug, template_slug, item_key):
    membership, repository = _repo(request, team_slug, repo_slug)
    if not role_at_least(membership, Role.ENGINEER):
        return HttpResponseForbidden("Viewers cannot add notes.")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _item_response(
            request, membership, repository, template_slug, item_key, error="A note cannot be empty."
        )
    try:
        services.note_add(
            repository=repository,
            template_slug=template_slug,
            item_key=item_key,
            text=form.cleaned_data["text"],
            user=request.user,
        )
    except services.ChecklistError as exc:
        return _item_response(request, membership, repository, template_slug, item_key, error=str(exc))
    return _item_response(request, membership, repository, template_slug, item_key)


@login_required
@require_GET
def item_history(request, team_slug, repo_slug, template_slug, item_key):
    membership, repository = _repo(request, team_slug, repo_slug)
    checklist, entry = selectors.checklist_item_entry(
        repository=repository, template_slug=template_slug, item_key=item_key
    )
    context = {
        "team": membership.team,
        "repository": repository,
        "checklist": checklist,
        "entry": entry,
        "events": selectors.item_history(
            repository=repository, template_slug=template_slug, item_key=item_key, limit=HISTORY_LIMIT
        ),
    }
    if request.htmx:
        return render(request, "checklists/_history.html", context)
    return render(request, "checklists/item_history.html", context)


@login_required
@require_POST
def checklist_apply(request, team_slug, repo_slug):
    membership, repository = _repo(request, team_slug, repo_slug)
    if not role_at_least(membership, Role.LEAD):
        return HttpResponseForbidden("Only team leads can apply templates.")
    try:
        template_id = int(request.POST.get("template", ""))
    except ValueError:
        raise Http404 from None
    template = selectors.template_get_for_team(team=membership.team, template_id=template_id)
    services.checklist_apply(repository=repository, template=template, user=request.user)
    messages.success(request, f"Applied “{template.title}”.")
    return redirect(_checklist_url(team_slug, repo_slug))


# Comparison ----------------------------------------------------------------------------------


def _pick_run(repository, run_id, day):
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


def _snapshot(run, template) -> ChecklistSnapshot:
    snapshot = ChecklistSnapshot.objects.filter(run=run, template=template).first()
    if snapshot is None:  # a run from before the template was applied: computed as of the run, then kept
        snapshot = services.checklist_snapshots_for_run(run=run, templates=[template])[0]
    return snapshot


@login_required
@require_GET
def compare(request, team_slug, repo_slug):
    membership, repository = _repo(request, team_slug, repo_slug)
    applied_list = list(repository.checklists.select_related("template"))
    slug = request.GET.get("template")
    applied = next((a for a in applied_list if a.template.slug == slug), None) if slug else None
    applied = applied or next((a for a in applied_list if a.primary), None)
    before = _pick_run(repository, request.GET.get("before"), request.GET.get("before_date"))
    after = _pick_run(repository, request.GET.get("after"), request.GET.get("after_date"))
    if before is None and after is None:
        before, after = selectors.default_compare_runs(repository=repository)
    comparison = None
    if applied is not None and before is not None and after is not None:
        comparison = selectors.compare_snapshots(
            before=_snapshot(before, applied.template),
            after=_snapshot(after, applied.template),
            template=applied.template,
        )
    fmt = request.GET.get("format")
    if fmt in ("md", "csv"):
        if comparison is None:
            raise Http404("Nothing to compare yet.")
        name = f"{repository.slug}-run{before.pk}-vs-run{after.pk}"
        if fmt == "md":
            text = selectors.comparison_markdown(comparison, repository=repository, template=applied.template)
            response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        else:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(selectors.comparison_csv_rows(comparison))
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
    runs = list(selectors.runs_for_compare(repository=repository)[:200])
    context = {
        "team": membership.team,
        "repository": repository,
        "applied_list": applied_list,
        "applied": applied,
        "before": before,
        "after": after,
        "runs": runs,
        "comparison": comparison,
        "markdown": selectors.comparison_markdown(
            comparison, repository=repository, template=applied.template
        )
        if comparison
        else "",
        "query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "checklists/_compare.html", context)
    return render(request, "checklists/compare.html", context)


# Dashboard -----------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request, team_slug):
    membership = membership_get(user=request.user, team_slug=team_slug)
    team = membership.team
    services.checklist_states_refresh_expired(team=team)
    filters = {
        "q": request.GET.get("q", "").strip()[:100],
        "level": request.GET.get("level", ""),
        "run_status": request.GET.get("run", ""),
        "sort": request.GET.get("sort", "name"),
    }
    ids = selectors.dashboard_repository_ids(team=team, **filters)
    page = Paginator(ids, DASHBOARD_PER_PAGE).get_page(request.GET.get("page"))
    repositories = selectors.dashboard_repositories_by_ids(ids=list(page.object_list))
    data = selectors.dashboard_rows(repositories=repositories)
    for row in data["rows"]:
        row["sparkline"] = sparkline_svg(row["weekly"])
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "team": team,
        "membership": membership,
        "page": page,
        "rows": data["rows"],
        "categories": data["categories"],
        "filters": filters,
        "query": params.urlencode(),
        "levels": selectors.LEVEL_FILTERS,
        "run_filters": selectors.RUN_FILTERS,
        "sorts": [
            ("name", "Name"),
            ("-score", "Score, high first"),
            ("score", "Score, low first"),
            ("-level", "Level, high first"),
            ("run", "Last run"),
        ],
    }
    if request.htmx:
        return render(request, "checklists/_dashboard_table.html", context)
    return render(request, "checklists/dashboard.html", context)


# Templates -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def template_list(request, team_slug):
    membership = membership_get(user=request.user, team_slug=team_slug)
    can_import = role_at_least(membership, Role.LEAD)
    form = ImportForm()
    status = 200
    if request.method == "POST":
        if not can_import:
            return HttpResponseForbidden("Only team leads can import templates.")
        form = ImportForm(request.POST)
        if form.is_valid():
            try:
                template = services.template_import_markdown(
                    team=membership.team,
                    title=form.cleaned_data["title"],
                    markdown=form.cleaned_data["markdown"],
                    actor=request.user,
                )
            except services.ChecklistError as exc:
                form.add_error("markdown", str(exc))
            else:
                messages.success(request, f"Imported “{template.title}” with {template.items.count()} items.")
                return redirect("checklists:template_detail", team_slug=team_slug, template_id=template.pk)
        status = 400
    context = {
        "team": membership.team,
        "templates": selectors.template_list_for_team(team=membership.team),
        "form": form,
        "can_import": can_import,
    }
    return render(request, "checklists/template_list.html", context, status=status)


@login_required
@require_GET
def template_detail(request, team_slug, template_id):
    membership = membership_get(user=request.user, team_slug=team_slug)
    template = selectors.template_get_for_team(team=membership.team, template_id=template_id)
    can_bind = role_at_least(membership, Role.LEAD) and not template.is_builtin
    categories = selectors.template_categories(template=template)
    check_ids = _check_ids() if can_bind else []
    for category in categories:
        category["entries"] = [
            {
                "item": item,
                "form": BindForm(
                    check_ids=check_ids,
                    initial={"checks": item.checks, "combine": item.combine, "level": item.level},
                    prefix=f"i{item.pk}",
                )
                if can_bind
                else None,
            }
            for item in category["items"]
        ]
    context = {"team": membership.team, "template": template, "categories": categories, "can_bind": can_bind}
    return render(request, "checklists/template_detail.html", context)


def _check_ids() -> list[str]:
    from readiness.engine.registry import all_ids

    return sorted(all_ids())


@login_required
@require_POST
def template_item_bind(request, team_slug, template_id, item_id):
    membership = membership_get(user=request.user, team_slug=team_slug)
    template = selectors.template_get_for_team(team=membership.team, template_id=template_id)
    if not role_at_least(membership, Role.LEAD):
        return HttpResponseForbidden("Only team leads can change templates.")
    item = get_object_or_404(TemplateItem, template=template, pk=item_id)
    form = BindForm(request.POST, check_ids=_check_ids(), prefix=f"i{item.pk}")
    if not form.is_valid():
        messages.error(request, "Choose known check ids, a combine rule and a level.")
    else:
        try:
            services.template_item_bind(
                item=item,
                checks=form.cleaned_data["checks"],
                combine=form.cleaned_data["combine"],
                level=form.cleaned_data["level"],
                actor=request.user,
            )
        except services.ChecklistError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Saved “{item.title}”.")
    return redirect(reverse("checklists:template_detail", args=[team_slug, template.pk]) + f"#item-{item.pk}")


def _as_template(template: ChecklistTemplate) -> Template:
    categories = []
    for category in selectors.template_categories(template=template):
        items = tuple(
            Item(
                id=item.key,
                title=item.title,
                level=item.level,
                sources=tuple(SourceRef(**s) for s in item.sources),
                checks=tuple(item.checks),
                combine=item.combine,
                manual=item.manual,
                reattest_days=item.reattest_days,
                evidence_required=item.evidence_required,
                fix=item.fix,
            )
            for item in category["items"]
        )
        categories.append(Category(id=category["id"], title=category["title"], items=items))
    return Template(
        slug=template.slug,
        title=template.title,
        version=template.version,
        categories=tuple(categories),
        description=template.description,
    )


@login_required
@require_GET
def template_export(request, team_slug, template_id):
    membership = membership_get(user=request.user, team_slug=team_slug)
    template = selectors.template_get_for_team(team=membership.team, template_id=template_id)
    response = HttpResponse(
        template_to_markdown(_as_template(template)), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{template.slug}-v{template.version}.md"'
    return response


# Badge ---------------------------------------------------------------------------------------


@require_GET
@cache_control(public=True, max_age=300)
def badge(request, token):
    applied = selectors.applied_by_badge_token(token=token)
    if applied.state_valid_until is not None and applied.state_valid_until <= timezone.now():
        services.checklist_states_refresh(repository=applied.repository)  # a waiver or a tick expired
        applied.refresh_from_db()
    response = HttpResponse(
        badge_svg(score=applied.overall, level=applied.level), content_type="image/svg+xml"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
