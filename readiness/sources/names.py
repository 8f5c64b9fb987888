"""Branch names and subfolders typed by users, checked before they reach git or the disk."""

from __future__ import annotations

import re

from .errors import RepoURLError

MAX_NAME_LENGTH = 255
# The rules of git-check-ref-format, applied to refs/heads/<branch>.
_FORBIDDEN_IN_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def validate_branch(branch: str) -> str:
    """Return ``branch`` if git would accept it as a branch name and it cannot be read as an option."""
    if not isinstance(branch, str) or not branch:
        raise RepoURLError("Enter a branch name")
    if (
        len(branch) > MAX_NAME_LENGTH
        or branch.startswith(("-", "/"))
        or branch.endswith(("/", ".", ".lock"))
        or branch == "@"
        or _FORBIDDEN_IN_REF.search(branch)
        or any(part.startswith(".") or part.endswith(".lock") for part in branch.split("/"))
    ):
        raise RepoURLError(f"{branch!r} is not a valid branch name")
    return branch


_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_REF_PREFIXES = ("refs/heads/", "refs/tags/")


def validate_ref(ref: str) -> tuple[str, str]:
    """A branch, tag or commit typed by a user: ``("commit", sha)`` for a full commit id (40 or 64
    hex digits, any case), ``("name", name)`` for a branch or tag name (``refs/heads/`` and
    ``refs/tags/`` prefixes dropped). Raises RepoURLError for anything git could read as an option
    or would refuse as a ref name."""
    if not isinstance(ref, str) or not ref.strip():
        raise RepoURLError("Enter a branch, a tag or a commit")
    ref = ref.strip()
    if _COMMIT.fullmatch(ref.lower()):
        return "commit", ref.lower()
    name = ref
    for prefix in _REF_PREFIXES:
        if name.startswith(prefix):
            name = name.removeprefix(prefix)
            break
    try:
        return "name", validate_branch(name)
    except RepoURLError:
        raise RepoURLError(f"{ref[:80]!r} is not a valid branch, tag or commit") from None


def validate_subfolder(subfolder: str) -> str:
    """Return the subfolder as ``a/b`` (no leading or trailing slash; "" for the whole repository)."""
    if subfolder in ("", "/", "."):
        return ""
    if not isinstance(subfolder, str) or len(subfolder) > 1024:
        raise RepoURLError("The folder is not valid")
    if subfolder.startswith("/") or "\\" in subfolder:
        raise RepoURLError("The folder must be a path relative to the repository root, like services/api")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in subfolder):
        raise RepoURLError("The folder contains control characters")
    parts = subfolder.rstrip("/").split("/")
    if any(p in ("", ".", "..") or p.lower() == ".git" for p in parts):
        raise RepoURLError("The folder cannot contain empty, '.', '..' or '.git' parts")
    return "/".join(parts)
