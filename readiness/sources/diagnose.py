"""Turning git's stderr (always in English: LC_ALL=C) into a FetchError a user can act on."""

from __future__ import annotations

import re

from .errors import FetchError

_AUTH = re.compile(
    r"Authentication failed|could not read (Username|Password)|terminal prompts disabled"
    r"|returned error: 401|Invalid username or password",
    re.IGNORECASE,
)
_FORBIDDEN = re.compile(r"returned error: 403", re.IGNORECASE)
_NOT_FOUND = re.compile(
    r"repository '.*' not found|Repository not found|returned error: 404"
    r"|does not appear to be a git repository|repository '.*' does not exist|Could not resolve host",
    re.IGNORECASE,
)
_BRANCH = re.compile(r"Remote branch .* not found|couldn't find remote ref", re.IGNORECASE)
_REDIRECT = re.compile(r"returned error: 30[1278]", re.IGNORECASE)
_SLOW = re.compile(r"Operation too slow|Operation timed out|Connection timed out", re.IGNORECASE)
_TLS = re.compile(r"SSL|certificate", re.IGNORECASE)
_FSCK = re.compile(r"fsck error|hasDotdot|hasDotgit|badTree|fullPathname", re.IGNORECASE)
_CONNECT = re.compile(r"Failed to connect|Connection refused|Couldn't connect", re.IGNORECASE)


def classify(stderr: str, *, has_token: bool, branch: str) -> FetchError:
    """The FetchError for a failed git run; ``stderr`` must already be redacted."""
    if _AUTH.search(stderr):
        if has_token:
            return FetchError("auth_failed", "Git authentication failed: the server did not accept the token")
        return FetchError(
            "auth_failed", "Git authentication failed: the repository needs an access token with read access"
        )
    if _FORBIDDEN.search(stderr):
        return FetchError(
            "auth_failed", "Git authentication failed: the token is not allowed to read this repository"
        )
    if _BRANCH.search(stderr):
        return FetchError("branch_missing", f"The branch {branch!r} does not exist in the repository")
    if _NOT_FOUND.search(stderr):
        hint = (
            " (or the token cannot read it)" if has_token else " (a private repository needs an access token)"
        )
        return FetchError("not_found", f"Repository not found{hint}")
    if _FSCK.search(stderr):
        return FetchError(
            "git_error",
            "The repository contains objects git's integrity check refuses (such as a path with '..' "
            "or '.git'); nothing was fetched",
        )
    if _REDIRECT.search(stderr):
        return FetchError(
            "git_error", "The server answered with a redirect, which is not followed; register the final URL"
        )
    if _SLOW.search(stderr):
        return FetchError("timeout", "The git server did not answer in time")
    if _TLS.search(stderr):
        return FetchError("git_error", "The server's TLS certificate could not be verified")
    if _CONNECT.search(stderr):
        return FetchError("git_error", "Could not connect to the git server")
    return FetchError("git_error", f"git failed: {last_error_line(stderr)}")


def last_error_line(stderr: str) -> str:
    """The most telling line of git's output, kept short."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    line = (fatal or lines or ["no error message"])[-1]
    return line[:300]
