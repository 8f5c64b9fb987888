"""Templates: the built-in YAML ones kept in sync, a team's own from pasted Markdown, binding items
to checks."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from readiness.checklists import status as item_status
from readiness.checklists.errors import ChecklistError
from readiness.checklists.models import AppliedChecklist, ChecklistTemplate, TemplateItem
from readiness.checklists.services.states import checklist_states_refresh
from readiness.checklists.template_format import Template, TemplateError, load_builtin_templates
from readiness.checklists.template_markdown import template_from_markdown
from readiness.teams.activity import activity_record

DEFAULT_TEMPLATE_SLUG = "production-readiness-complete"


def _store_template(
    template: Template, *, team=None, template_model=ChecklistTemplate, item_model=TemplateItem
):
    row = template_model.objects.create(
        team=team,
        slug=template.slug,
        title=template.title,
        version=template.version,
        description=template.description,
        sources=[vars(ref) for ref in template.sources],
        is_builtin=team is None,
        is_current=True,
    )
    position = 0
    rows = []
    # The data migration 0002 runs this with a historical model that predates conditions.
    conditions = _has_conditions(item_model)
    for category in template.categories:
        for item in category.items:
            position += 1
            extra = {"applies_when": item.applies_when} if conditions else {}
            rows.append(
                item_model(
                    template=row,
                    category_id=category.id,
                    category_title=category.title,
                    position=position,
                    key=item.id,
                    title=item.title,
                    level=item.level,
                    checks=list(item.checks),
                    combine=item.combine,
                    manual=not item.checks,
                    reattest_days=item.reattest_days,
                    evidence_required=item.evidence_required,
                    fix=item.fix,
                    sources=[vars(source) for source in item.sources],
                    **extra,
                )
            )
    item_model.objects.bulk_create(rows)
    return row


def builtin_templates_sync(
    *, template_model=ChecklistTemplate, item_model=TemplateItem, applied_model=None
) -> int:
    """Store the built-in YAML templates; idempotent. A version bump adds a new row set and moves
    repositories to it; older versions stay (snapshots point at them). Returns how many were added.

    The model classes are parameters so the data migration can pass its historical models.
    """
    if applied_model is None and template_model is ChecklistTemplate:
        applied_model = AppliedChecklist
    added = 0
    with transaction.atomic():
        for template in load_builtin_templates():
            existing = template_model.objects.filter(team__isnull=True, slug=template.slug)
            if existing.filter(version=template.version).exists():
                continue
            if existing.filter(version__gt=template.version).exists():
                continue  # never go back to an older version
            row = _store_template(template, template_model=template_model, item_model=item_model)
            older = list(existing.exclude(pk=row.pk).filter(is_current=True))
            existing.exclude(pk=row.pk).update(is_current=False)
            if applied_model is not None and older:
                applied_model.objects.filter(template__in=older).update(template=row)
            added += 1
        if _has_conditions(item_model):
            builtin_conditions_sync(template_model=template_model, item_model=item_model)
    return added


def _has_conditions(item_model) -> bool:
    return any(f.name == "applies_when" for f in item_model._meta.get_fields())


def builtin_conditions_sync(*, template_model=ChecklistTemplate, item_model=TemplateItem) -> set[int]:
    """Keep the stored built-in items' applicability conditions in step with their YAML.

    A condition says where an item applies, not what it means, so it changes in place, without a
    new version (and the versions stored before conditions existed get theirs). Returns the ids of
    the templates whose items changed (their repositories' states need computing again)."""
    changed: set[int] = set()
    for template in load_builtin_templates():
        wanted = {item.id: item.applies_when for item in template.items}
        rows = item_model.objects.filter(
            template__team__isnull=True, template__slug=template.slug, template__version=template.version
        )
        for row in rows:
            condition = wanted.get(row.key)
            if row.applies_when != condition:
                row.applies_when = condition
                row.save(update_fields=["applies_when"])
                changed.add(row.template_id)
    return changed


def template_import_markdown(*, team, title: str, markdown: str, actor=None) -> ChecklistTemplate:
    """A team's custom template from a pasted Markdown checklist (manual items, bound later)."""
    try:
        template = template_from_markdown(markdown, title=title)
    except TemplateError as exc:
        raise ChecklistError(str(exc)) from None
    taken = set(
        ChecklistTemplate.objects.filter(Q(team=team) | Q(team__isnull=True)).values_list("slug", flat=True)
    )
    slug, n = template.slug, 2
    while slug in taken:
        slug, n = f"{template.slug}-{n}", n + 1
    template = Template(
        slug=slug,
        title=template.title,
        version=1,
        categories=template.categories,
        description=template.description,
        sources=template.sources,
    )
    with transaction.atomic():
        stored = _store_template(template, team=team)
        activity_record(
            team=team, actor=actor, verb="template.changed", target=stored.title, action="imported"
        )
        return stored


def template_item_bind(
    *, item: TemplateItem, checks: list[str], combine: str, level: str, actor=None
) -> TemplateItem:
    """Bind a custom template's item to checks (automated) or unbind it (manual). Built-ins are data
    in the repository: they change by a new YAML version, not here."""
    if item.template.is_builtin:
        raise ChecklistError("Built-in templates change through their YAML file, not in the browser.")
    if combine not in ("all", "any"):
        raise ChecklistError("Combine must be 'all' or 'any'.")
    if level not in item_status.LEVELS:
        raise ChecklistError("Level must be bronze, silver or gold.")
    item.checks = list(dict.fromkeys(checks))
    item.combine = combine
    item.level = level
    item.manual = not item.checks
    item.save(update_fields=["checks", "combine", "level", "manual"])
    activity_record(
        team=item.template.team,
        actor=actor,
        verb="template.changed",
        target=f"{item.template.title}: {item.title}",
        checks=item.checks,
        level=level,
    )
    for applied in AppliedChecklist.objects.filter(template=item.template).select_related("repository"):
        checklist_states_refresh(repository=applied.repository)
    return item


def template_get_default() -> ChecklistTemplate:
    template = ChecklistTemplate.objects.filter(
        team__isnull=True, slug=DEFAULT_TEMPLATE_SLUG, is_current=True
    ).first()
    if template is None:
        builtin_templates_sync()
        template = ChecklistTemplate.objects.get(
            team__isnull=True, slug=DEFAULT_TEMPLATE_SLUG, is_current=True
        )
    return template
