"""Is a registered repository reachable, and does its branch exist? Checked in the background."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from readiness.repos.models import Repository
from readiness.repos.sourcing import SourceError, fetch_options, local_path_of, repository_token
from readiness.sources.errors import FetchError
from readiness.sources.git import check_reachable

CHECKING, OK, FAILED = "checking", "ok", "failed"


def reachability_request(*, repository: Repository) -> None:
    """Mark the repository as being checked and enqueue the check once the transaction commits."""
    from readiness.repos.tasks import reachability_check_task

    Repository.objects.filter(pk=repository.pk).update(reachability=CHECKING, reachability_message="")
    repository.reachability = CHECKING
    transaction.on_commit(lambda: reachability_check_task.delay(repository.pk))


def _check(repository: Repository) -> str:
    """Raise SourceError or FetchError with a readable message when the source cannot be read."""
    local = local_path_of(repository.url)
    if local is not None and not (local / ".git").exists() and not (local / "HEAD").is_file():
        if not local.is_dir():
            raise SourceError(f"The folder {local} does not exist.")
        return "The local folder exists."
    check_reachable(
        url=repository.url, branch=repository.branch, token=repository_token(repository), **fetch_options()
    )
    return f"Reachable; branch {repository.branch!r} exists."


def reachability_check(*, repository_id: int) -> None:
    repository = Repository.objects.filter(pk=repository_id).first()
    if repository is None:
        return
    try:
        state, message = OK, _check(repository)
    except (SourceError, FetchError) as exc:
        state, message = FAILED, str(exc)
    Repository.objects.filter(pk=repository_id).update(
        reachability=state, reachability_message=message, reachability_checked_at=timezone.now()
    )
