"""Checklist templates: the team's list with Markdown import, one template with binding of its items
to checks, and the Markdown export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from readiness.checklists.errors import ChecklistError
from readiness.checklists.forms import BindForm, ImportForm
from readiness.checklists.models import ChecklistTemplate, TemplateItem
from readiness.checklists.selectors import templates as selectors
from readiness.checklists.services import templates as services
from readiness.checklists.template_format import Category, Item, SourceRef, Template
from readiness.checklists.template_markdown import template_to_markdown
from readiness.engine.registry import all_ids
from readiness.teams.models import Role
from readiness.teams.selectors import membership_get, role_at_least


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
            except ChecklistError as exc:
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
        except ChecklistError as exc:
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
