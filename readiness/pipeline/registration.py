"""A repository registered: the repos app creates it (row, nightly schedule, activity), then the
checklists app applies the default checklist."""

from __future__ import annotations

from readiness.checklists.services.applied import checklist_apply_default
from readiness.repos.models import Repository
from readiness.repos.services import repository_create


def repository_register(
    *, team, name: str, url: str, branch: str = "main", subfolder: str = "", actor=None
) -> Repository:
    repository = repository_create(
        team=team, name=name, url=url, branch=branch, subfolder=subfolder, actor=actor
    )
    checklist_apply_default(repository=repository)  # "Production readiness (complete)" by default
    return repository
