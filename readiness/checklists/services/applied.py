"""Applying a template to a repository."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from readiness.checklists.errors import ChecklistError
from readiness.checklists.models import AppliedChecklist, ChecklistTemplate
from readiness.checklists.services.states import checklist_states_refresh
from readiness.checklists.services.templates import template_get_default
from readiness.teams.activity import activity_record


def checklist_apply(*, repository, template: ChecklistTemplate, user=None) -> AppliedChecklist:
    """Apply a template to a repository (idempotent); the first one applied is the primary one."""
    if template.team_id is not None and template.team_id != repository.team_id:
        raise ChecklistError("That template belongs to another team.")
    with transaction.atomic():
        applied = AppliedChecklist.objects.filter(repository=repository, template__slug=template.slug).first()
        if applied is not None:
            return applied
        primary = not AppliedChecklist.objects.filter(repository=repository, primary=True).exists()
        try:
            with transaction.atomic():
                applied = AppliedChecklist.objects.create(
                    repository=repository, template=template, applied_by=user, primary=primary
                )
        except IntegrityError:
            return AppliedChecklist.objects.get(repository=repository, template=template)
    checklist_states_refresh(repository=repository)
    if user is not None:
        activity_record(
            team=repository.team,
            actor=user,
            verb="checklist.applied",
            target=f"{repository.name}: {template.title}",
        )
    applied.refresh_from_db()
    return applied


def checklist_apply_default(*, repository, user=None) -> AppliedChecklist:
    """New repositories start with "Production readiness (complete)"."""
    return checklist_apply(repository=repository, template=template_get_default(), user=user)
