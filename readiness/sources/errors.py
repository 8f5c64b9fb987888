"""Errors a fetch can end with. Every message is written for the person who registered the repository."""

from __future__ import annotations

FETCH_ERROR_KINDS = frozenset(
    {
        "auth_failed",
        "not_found",
        "branch_missing",
        "ref_missing",
        "host_not_allowed",
        "timeout",
        "too_large",
        "invalid_url",
        "git_error",
    }
)


class FetchError(Exception):
    """A fetch or reachability check failed; ``kind`` is stable, ``user_message`` is readable."""

    def __init__(self, kind: str, user_message: str) -> None:
        if kind not in FETCH_ERROR_KINDS:
            raise ValueError(f"unknown fetch error kind {kind!r}")
        super().__init__(user_message)
        self.kind = kind
        self.user_message = user_message


class RepoURLError(FetchError):
    """The URL, branch or folder was refused before git ran.

    A FetchError too, so a caller catching FetchError also sees refusals; ``kind`` is
    "invalid_url" unless the host was refused ("host_not_allowed") or does not resolve ("not_found").
    """

    def __init__(self, user_message: str, kind: str = "invalid_url") -> None:
        super().__init__(kind, user_message)


class HostNotAllowed(Exception):
    """Raised by a host judge; the reason names the address and how to get it allowed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
