"""Is a registered repository reachable, and does its branch exist? Checked in the background.

The check is an outbox row (readiness/core/outbox.py) committed with the change that asked for it:
a broker outage delays it and loses nothing (the repository does not stay "checking" for ever)."""

from __future__ import annotations

from django.utils import timezone

from readiness.core.outbox import outbox_enqueue
from readiness.repos.models import Repository
from readiness.repos.sourcing import SourceError, fetch_options, local_path_of, repository_token
from readiness.sources.errors import FetchError
from readiness.sources.git import check_reachable

CHECKING, OK, FAILED = "checking", "ok", "failed"


def reachability_request(*, repository: Repository) -> None:
    """Mark the repository as being checked and ask for the check, in the caller's transaction. A
    check asked for again while one waits is the same request; while one runs, it runs again after."""
    Repository.objects.filter(pk=repository.pk).update(reachability=CHECKING, reachability_message="")
    repository.reachability = CHECKING
    outbox_enqueue(
        task="repos.reachability_check", args=[repository.pk], dedup_key=f"reachability:{repository.pk}"
    )


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
