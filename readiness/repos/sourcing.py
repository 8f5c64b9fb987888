"""Turn a registered repository into a directory the engine can read.

Git repositories (https URLs, and local or file:// ones where READINESS_ALLOW_LOCAL_SOURCES permits)
go through readiness.sources' safe fetch: shallow, capped, no working tree, wanted files only.
A local folder that is not a git repository is read in place (the engine never follows a symlink
out of its root).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from readiness.core.crypto import DecryptionError, decrypt
from readiness.core.egress import address_policy
from readiness.sources.errors import FetchError
from readiness.sources.git import check_ref, fetch_repository, list_commits
from readiness.sources.hosts import guard_judge

# Failures worth another attempt later; the rest (auth, not found, refused URL...) are final.
TRANSIENT_FETCH_ERRORS = {"timeout", "git_error"}


class SourceError(Exception):
    """A problem with the repository's source that a user can read and fix."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass
class MaterializedSource:
    path: Path
    commit_sha: str
    skipped: list[tuple[str, str]]
    committed_at: datetime | None = None  # the commit's committer date (git sources)


def local_path_of(url: str) -> Path | None:
    """The local folder a repository URL names (a plain path or file://), else None."""
    if url.startswith("file://"):
        return Path(unquote(urlsplit(url).path))
    if url.startswith("/"):
        return Path(url)
    return None


def _is_git_repository(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def repository_token(repository) -> str | None:
    if not repository.token_encrypted:
        return None
    try:
        return decrypt(repository.token_encrypted)
    except DecryptionError as exc:
        raise SourceError(f"The access token cannot be read: {exc}. Set the token again.") from None


def fetch_options() -> dict:
    return {
        "allow_local": settings.READINESS_ALLOW_LOCAL_SOURCES,
        "allow_http_hosts": settings.READINESS_GIT_HTTP_HOSTS,
        "judge_host": guard_judge(address_policy()),
    }


def materialize_source(repository, work_dir: Path, *, ref: str = "") -> MaterializedSource:
    """The repository's files in ``work_dir``: its tracked branch's head, or ``ref`` (a branch, tag
    or full commit id) when given."""
    local = local_path_of(repository.url)
    if local is not None:
        if not settings.READINESS_ALLOW_LOCAL_SOURCES:
            raise SourceError(
                "Local repository paths are disabled on this server (READINESS_ALLOW_LOCAL_SOURCES)."
            )
        if not local.is_dir():
            raise SourceError(f"The folder {local} does not exist or is not a directory.")
        if not _is_git_repository(local):
            if ref:
                raise SourceError(NOT_GIT)
            root = local / repository.subfolder if repository.subfolder else local
            if not root.is_dir():
                raise SourceError(f"The folder {repository.subfolder!r} does not exist in {local}.")
            return MaterializedSource(path=root, commit_sha="", skipped=[])

    dest = work_dir / "source"
    try:
        result = fetch_repository(
            url=repository.url,
            branch=repository.branch,
            token=repository_token(repository),
            subfolder=repository.subfolder,
            dest_dir=dest,
            timeout_s=settings.GIT_FETCH_TIMEOUT,
            max_bytes=settings.GIT_FETCH_MAX_BYTES,
            ref=ref or None,
            **fetch_options(),
        )
    except FetchError as exc:
        raise SourceError(str(exc), transient=exc.kind in TRANSIENT_FETCH_ERRORS) from None
    return MaterializedSource(
        path=dest,
        commit_sha=result.commit_sha,
        skipped=result.skipped,
        committed_at=_when(result.committed_at),
    )


NOT_GIT = "This repository is a local folder, not git: it has no branches, tags or commits to choose."
REF_CHECK_TIMEOUT_S = 10


def _when(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def _is_plain_folder(repository) -> bool:
    local = local_path_of(repository.url)
    return local is not None and local.is_dir() and not _is_git_repository(local)


def source_check_ref(repository, ref: str) -> str:
    """The ref as it will be fetched (a full commit id lower-cased, a name without its refs/...
    prefix), after asking the server whether it has a branch or tag of that name (a few seconds
    at most). SourceError with a readable message when it is invalid or unknown."""
    if _is_plain_folder(repository):
        raise SourceError(NOT_GIT)
    try:
        _kind, name = check_ref(
            url=repository.url,
            ref=ref,
            token=repository_token(repository),
            timeout_s=REF_CHECK_TIMEOUT_S,
            **fetch_options(),
        )
    except FetchError as exc:
        raise SourceError(str(exc), transient=exc.kind in TRANSIENT_FETCH_ERRORS) from None
    return name


def source_list_commits(repository, count: int) -> list[tuple[str, datetime, str]]:
    """The last ``count`` commits of the tracked branch, newest first: (sha, date, subject)."""
    if _is_plain_folder(repository):
        raise SourceError(NOT_GIT)
    try:
        commits = list_commits(
            url=repository.url,
            branch=repository.branch,
            count=count,
            token=repository_token(repository),
            timeout_s=settings.GIT_FETCH_TIMEOUT,
            max_bytes=settings.GIT_FETCH_MAX_BYTES,
            **fetch_options(),
        )
    except FetchError as exc:
        raise SourceError(str(exc), transient=exc.kind in TRANSIENT_FETCH_ERRORS) from None
    return [(c.sha, _when(c.committed_at), c.subject) for c in commits]
