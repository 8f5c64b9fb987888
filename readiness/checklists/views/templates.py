"""Checklist templates: the team's list with Markdown import, one template with binding of its items
to checks, and the Markdown export."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from readiness.checklists.errors import ChecklistError
from readiness.checklists.forms import BindForm, ImportForm
from readiness.checklists.models import ChecklistTemplate, TemplateItem
from readiness.checklists.selectors import templates as selectors
from readiness.checklists.services import templates as services
from readiness.checklists.template_format import Category, Item, SourceRef, Template
from readiness.checklists.template_markdown import template_to_markdown
from readiness.engine.registry import all_ids
from readiness.teams.access import team_view
from readiness.teams.models import Role


def _template(membership, kwargs) -> dict:
    """The team's (or a built-in) template of the URL; another team's is a 404."""
    return {
        "template": selectors.template_get_for_team(
            team=membership.team, template_id=kwargs.pop("template_id")
        )
    }


@team_view(min_role={"GET": Role.VIEWER, "POST": Role.LEAD}, refusal="Only team leads can import templates.")
def template_list(request, membership):
    can_import = membership.is_lead
    form = ImportForm()
    status = 200
    if request.method == "POST":
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
                return redirect(
                    "checklists:template_detail", team_slug=membership.team.slug, template_id=template.pk
                )
        status = 400
    context = {
        "team": membership.team,
        "templates": selectors.template_list_for_team(team=membership.team),
        "form": form,
        "can_import": can_import,
    }
    return render(request, "checklists/template_list.html", context, status=status)


@team_view(scope=_template)
def template_detail(request, membership, template):
    can_bind = membership.is_lead and not template.is_builtin
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


@team_view(
    methods=["POST"], min_role=Role.LEAD, refusal="Only team leads can change templates.", scope=_template
)
def template_item_bind(request, membership, template, item_id):
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
    url = reverse("checklists:template_detail", args=[membership.team.slug, template.pk])
    return redirect(url + f"#item-{item.pk}")


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


@team_view(scope=_template)
def template_export(request, membership, template):
    response = HttpResponse(
        template_to_markdown(_as_template(template)), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{template.slug}-v{template.version}.md"'
    return response
