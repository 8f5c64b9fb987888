"""Write logic for a repository's lifecycle: rename, archive, restore, delete (leads only; the views
check the role). Each change is one transaction with its activity entry.

- Names are unique within a team whatever their case: a form checks first, the database constraint
  ``repository_name_unique_in_team`` decides a race (RepositoryNameTaken).
- Renaming moves the slug with the name (the URLs follow), unless the new slug is taken.
- Archiving hides the repository from the team's lists, dashboards, reports, the API's list and
  the schedules (its scheduled analyses are paused); its runs, checklists and endpoints are kept
  and restoring brings everything back. An archived repository starts no analysis.
- Deleting removes the repository and everything kept about it (runs, results, checklists,
  endpoints, webhook deliveries: the foreign keys cascade) and its schedule; the activity entry
  stays and names it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from readiness.repos.models import Repository
from readiness.teams.activity import activity_record


class RepositoryNameTaken(ValueError):
    """Another repository of the team has this name (compared without case)."""

    def __init__(self, name: str):
        super().__init__(f"The team already has a repository named {name!r}.")
        self.name = name


def repository_name_taken(*, team, name: str, exclude_pk: int | None = None) -> bool:
    """Whether another repository of ``team`` (archived ones included) has ``name``, any case."""
    others = Repository.objects.filter(team=team).annotate(lname=Lower("name")).filter(lname=name.lower())
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def unique_slug(*, team, name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:190] or "repository"
    slug, n = base, 2
    others = Repository.objects.filter(team=team)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def repository_rename(*, repository: Repository, name: str, actor=None) -> Repository:
    """Give the repository a new name (and the slug of that name). RepositoryNameTaken when the
    team has it already."""
    name = name.strip()
    old_name, old_slug = repository.name, repository.slug
    if name == old_name:
        return repository
    try:
        with transaction.atomic():
            if repository_name_taken(team=repository.team, name=name, exclude_pk=repository.pk):
                raise RepositoryNameTaken(name)
            repository.name = name
            repository.slug = unique_slug(team=repository.team, name=name, exclude_pk=repository.pk)
            repository.save(update_fields=["name", "slug"])
            activity_record(
                team=repository.team,
                actor=actor,
                verb="repository.renamed",
                target=old_name,
                obj=repository,
                changes={"name": (old_name, name)},
            )
    except IntegrityError:  # a concurrent rename or registration took the name first
        repository.name, repository.slug = old_name, old_slug
        raise RepositoryNameTaken(name) from None
    return repository


def _pause_schedule(repository: Repository, *, enabled: bool) -> None:
    if repository.schedule_id:
        from django_celery_beat.models import PeriodicTask

        PeriodicTask.objects.filter(pk=repository.schedule_id).update(enabled=enabled)
        # django-celery-beat reloads its schedule when this changes.
        from django_celery_beat.models import PeriodicTasks

        PeriodicTasks.update_changed()


@transaction.atomic
def repository_archive(*, repository: Repository, actor=None) -> Repository:
    """Hide the repository (history kept) and pause its scheduled analyses. Idempotent."""
    if repository.archived_at is not None:
        return repository
    repository.archived_at = timezone.now()
    repository.save(update_fields=["archived_at"])
    _pause_schedule(repository, enabled=False)
    activity_record(
        team=repository.team, actor=actor, verb="repository.archived", target=repository.name, obj=repository
    )
    return repository


@transaction.atomic
def repository_restore(*, repository: Repository, actor=None) -> Repository:
    """Show the archived repository again and resume its scheduled analyses. Idempotent."""
    if repository.archived_at is None:
        return repository
    repository.archived_at = None
    repository.save(update_fields=["archived_at"])
    _pause_schedule(repository, enabled=True)
    activity_record(
        team=repository.team,
        actor=actor,
        verb="repository.unarchived",
        target=repository.name,
        obj=repository,
    )
    return repository


@transaction.atomic
def repository_delete(*, repository: Repository, actor=None) -> dict:
    """Remove the repository and all that is kept about it; the activity entry stays. Returns
    what was removed ({"runs": n})."""
    locked = Repository.objects.select_for_update().filter(pk=repository.pk).first()
    if locked is None:  # deleted by a concurrent request
        return {"runs": 0}
    removed = {"runs": locked.runs.count()}
    activity_record(
        team=locked.team,
        actor=actor,
        verb="repository.deleted",
        target=locked.name,
        obj=locked,
        url=locked.url,
        **removed,
    )
    schedule = locked.schedule
    locked.delete()  # runs, results, scores, checklists, endpoints, deliveries: cascaded
    if schedule is not None:
        schedule.delete()
    return removed
