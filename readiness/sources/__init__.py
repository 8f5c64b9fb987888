"""Safe git fetching: a registered repository becomes a folder of plain files for the engine.

Pure Python (no Django): the Django app passes its settings in. See docs/fetching.md.
"""

from .errors import FETCH_ERROR_KINDS, FetchError, HostNotAllowed, RepoURLError
from .git import CommitInfo, FetchResult, check_reachable, check_ref, fetch_repository, list_commits
from .hosts import JudgeHost, default_judge_host, guard_judge
from .names import validate_branch, validate_ref, validate_subfolder
from .urls import ValidatedURL, validate_repo_url
from .wanted import WantedPredicate, is_wanted

__all__ = [
    "FETCH_ERROR_KINDS",
    "CommitInfo",
    "FetchError",
    "FetchResult",
    "HostNotAllowed",
    "JudgeHost",
    "RepoURLError",
    "ValidatedURL",
    "WantedPredicate",
    "check_reachable",
    "check_ref",
    "default_judge_host",
    "fetch_repository",
    "guard_judge",
    "is_wanted",
    "list_commits",
    "validate_branch",
    "validate_ref",
    "validate_repo_url",
    "validate_subfolder",
]
