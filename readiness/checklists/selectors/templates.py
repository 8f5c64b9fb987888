"""Templates a team may see and apply."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from readiness.checklists.models import ChecklistTemplate


def template_list_for_team(*, team) -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.filter(Q(team__isnull=True) | Q(team=team), is_current=True).order_by(
        "-is_builtin", "title"
    )


def template_get_for_team(*, team, template_id: int) -> ChecklistTemplate:
    return get_object_or_404(
        ChecklistTemplate.objects.filter(Q(team__isnull=True) | Q(team=team)), pk=template_id
    )


def template_categories(*, template: ChecklistTemplate) -> list[dict]:
    categories: dict[str, dict] = {}
    for item in template.items.all():
        categories.setdefault(
            item.category_id, {"id": item.category_id, "title": item.category_title, "items": []}
        )
        categories[item.category_id]["items"].append(item)
    return list(categories.values())
