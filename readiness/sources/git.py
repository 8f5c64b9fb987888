"""Fetching a registered repository into a folder of plain files, and checking it can be reached.

The flow of a fetch, every step under one deadline and one size cap:

1. validate the URL, branch and folder and judge the host (before git runs at all);
2. ``git clone --bare --depth 1 --filter=blob:none`` into a private temporary directory: commits
   and trees only, never a working tree, so nothing from the repository is checked out or executed;
3. ``git ls-tree`` to list paths, keeping the wanted regular files (no links, no submodules);
4. one ``git fetch`` of exactly those blobs, then ``git cat-file --batch`` to write them out;
5. remove the temporary directory, whether the fetch worked or not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from .diagnose import classify, last_error_line
from .errors import FetchError
from .export import write_blobs
from .hosts import JudgeHost
from .names import validate_branch, validate_ref, validate_subfolder
from .runner import TOKEN_USER, Git, basic_credentials, hardened_config, tree_size
from .urls import ValidatedURL, validate_repo_url
from .wanted import WantedPredicate, is_wanted, select

logger = logging.getLogger("readiness.sources")

MiB = 1024 * 1024
SSH_COMMAND = "ssh -o BatchMode=yes -o ConnectTimeout=15"


@dataclass(frozen=True)
class FetchResult:
    commit_sha: str
    files_written: list[str]  # relative to dest_dir, "/" separated
    skipped: list[tuple[str, str]]  # (path, reason)
    bytes_fetched: int  # size of the temporary object store when the fetch ended
    committed_at: int | None = None  # the commit's committer date, seconds since the epoch


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    committed_at: int  # committer date, seconds since the epoch
    subject: str


def fetch_repository(
    *,
    url: str,
    branch: str,
    token: str | None = None,
    subfolder: str = "",
    dest_dir: str | os.PathLike[str],
    allow_local: bool = False,
    allow_ssh: bool = False,
    allow_http_hosts: Collection[str] = (),
    timeout_s: float = 120,
    max_bytes: int = 200 * MiB,
    max_file_bytes: int = 1 * MiB,
    max_files: int = 5000,
    wanted: WantedPredicate | None = None,
    judge_host: JudgeHost | None = None,
    ref: str | None = None,
) -> FetchResult:
    """Write the wanted files of ``branch`` (under ``subfolder``) into ``dest_dir`` as regular files.

    ``ref`` (a branch, a tag or a full commit id; see ``validate_ref``) is fetched instead of
    ``branch``'s head when given; a ref the repository does not have is FetchError "ref_missing".
    ``dest_dir`` must be missing or empty; paths in it are relative to ``subfolder``. On failure it
    is left empty and FetchError (RepoURLError for refused input) is raised.
    """
    target = validate_repo_url(
        url,
        allow_local=allow_local,
        allow_ssh=allow_ssh,
        allow_http_hosts=allow_http_hosts,
        judge_host=judge_host,
    )
    branch = validate_branch(branch)
    wanted_ref = validate_ref(ref) if ref else None
    folder = validate_subfolder(subfolder)
    dest, created = _claim_destination(Path(dest_dir))
    try:
        # The scratch folder sits beside the destination, inside the run's work folder: a worker
        # killed mid-fetch leaves nothing outside it (readiness/sources/workdir.py cleans it).
        base = Path(dest_dir).parent
        with _git_session(target, token, timeout_s, max_bytes, base=base) as (git, scratch):
            if wanted_ref is None:
                repo = clone_bare(git, scratch, url=target.url, branch=branch, has_token=bool(token))
                sha = _commit_sha(git, scratch, repo)
            else:
                repo, sha = _clone_ref(git, scratch, url=target.url, ref=wanted_ref, has_token=bool(token))
                branch = wanted_ref[1]  # the name error messages speak of
            listing = _run_ok(git, ["ls-tree", "-r", "-z", "--full-tree", sha], scratch, repo, branch, token)
            selection = select(listing, folder=folder, wanted=wanted or is_wanted, max_files=max_files)
            if folder and not selection.folder_seen:
                raise FetchError("not_found", f"The folder {folder!r} does not exist on branch {branch!r}")
            paths_by_oid: dict[str, list[str]] = {}
            for entry in selection.files:
                paths_by_oid.setdefault(entry.oid, []).append(entry.path)
            skipped = list(selection.skipped)
            written = _export(git, scratch, repo, paths_by_oid, dest, skipped, max_file_bytes, branch, token)
            logger.info(
                "fetched %s branch %s at %s: %d files written, %d skipped",
                target.url,
                branch,
                sha,
                len(written),
                len(skipped),
            )
            return FetchResult(
                commit_sha=sha,
                files_written=written,
                skipped=skipped,
                bytes_fetched=tree_size(repo),
                committed_at=_commit_time(git, scratch, repo, sha),
            )
    except BaseException:
        _clear(dest, created)
        raise


def _remote_refs(target, token, timeout_s, kinds: list[str], wanted: list[str], *, name: str) -> set[str]:
    """The refs among ``wanted`` that the remote has (``git ls-remote``); FetchError when it cannot
    be asked. ls-remote prints refs only, but an old server lists every ref of a repository with
    many: hence the byte limit."""
    with _git_session(target, token, timeout_s, max_bytes=50 * MiB) as (git, scratch):
        result = git.run(["ls-remote", *kinds, "--", target.url, *wanted], cwd=scratch)
        if result.returncode:
            raise classify(result.stderr, has_token=bool(token), branch=name)
    return {line.split("\t", 1)[-1] for line in result.stdout.decode("utf-8", "replace").splitlines()}


def check_reachable(
    *,
    url: str,
    branch: str,
    token: str | None = None,
    allow_local: bool = False,
    allow_ssh: bool = False,
    allow_http_hosts: Collection[str] = (),
    timeout_s: float = 20,
    judge_host: JudgeHost | None = None,
) -> None:
    """Raise FetchError unless the repository answers ``git ls-remote`` and has ``branch``."""
    target = validate_repo_url(
        url,
        allow_local=allow_local,
        allow_ssh=allow_ssh,
        allow_http_hosts=allow_http_hosts,
        judge_host=judge_host,
    )
    branch = validate_branch(branch)
    ref = f"refs/heads/{branch}"
    refs = _remote_refs(target, token, timeout_s, ["--heads"], [ref], name=branch)
    if ref not in refs:
        raise FetchError("branch_missing", f"The branch {branch!r} does not exist in the repository")


def check_ref(
    *,
    url: str,
    ref: str,
    token: str | None = None,
    allow_local: bool = False,
    allow_ssh: bool = False,
    allow_http_hosts: Collection[str] = (),
    timeout_s: float = 20,
    judge_host: JudgeHost | None = None,
) -> tuple[str, str]:
    """Validate ``ref`` and, for a branch or tag name, check with ``git ls-remote`` that the
    repository has it (FetchError "ref_missing" otherwise). A commit id cannot be checked without
    fetching: it is only validated. Returns ``validate_ref``'s answer."""
    kind, name = validate_ref(ref)
    target = validate_repo_url(
        url,
        allow_local=allow_local,
        allow_ssh=allow_ssh,
        allow_http_hosts=allow_http_hosts,
        judge_host=judge_host,
    )
    if kind == "commit":
        return kind, name
    wanted = [f"refs/heads/{name}", f"refs/tags/{name}"]
    refs = _remote_refs(target, token, timeout_s, ["--heads", "--tags"], wanted, name=name)
    if not refs & set(wanted):
        raise FetchError("ref_missing", _missing_message(kind, name))
    return kind, name


def list_commits(
    *,
    url: str,
    branch: str,
    count: int,
    token: str | None = None,
    allow_local: bool = False,
    allow_ssh: bool = False,
    allow_http_hosts: Collection[str] = (),
    timeout_s: float = 120,
    max_bytes: int = 200 * MiB,
    judge_host: JudgeHost | None = None,
) -> list[CommitInfo]:
    """The last ``count`` commits of ``branch`` along its first parents, newest first: a shallow
    clone of commits and trees (no file contents), then ``git log``."""
    if not 1 <= count <= 1000:
        raise ValueError("count must be from 1 to 1000")
    target = validate_repo_url(
        url,
        allow_local=allow_local,
        allow_ssh=allow_ssh,
        allow_http_hosts=allow_http_hosts,
        judge_host=judge_host,
    )
    branch = validate_branch(branch)
    with _git_session(target, token, timeout_s, max_bytes) as (git, scratch):
        repo = clone_bare(git, scratch, url=target.url, branch=branch, has_token=bool(token), depth=count)
        args = ["log", "--first-parent", f"--max-count={count}", "--format=%H %ct %s", "HEAD", "--"]
        out = _run_ok(git, args, scratch, repo, branch, token)
    commits = []
    for line in out.decode("utf-8", "replace").splitlines():
        sha, _, rest = line.partition(" ")
        seconds, _, subject = rest.partition(" ")
        if sha and seconds.isdigit():
            commits.append(CommitInfo(sha=sha, committed_at=int(seconds), subject=subject[:200]))
    return commits


def _missing_message(kind: str, name: str) -> str:
    if kind == "commit":
        return f"The commit {name[:12]} is not in the repository (or not reachable from its branches)"
    hint = " (give a commit by its full 40-character id)" if re.fullmatch(r"[0-9a-fA-F]{4,39}", name) else ""
    return f"The repository has no branch or tag named {name!r}{hint}"


def _clone_ref(
    git: Git, scratch: Path, *, url: str, ref: tuple[str, str], has_token: bool
) -> tuple[Path, str]:
    """A bare, blob-less, one-commit repository of ``ref`` and its commit id. A name goes through
    ``clone --branch`` (branches and tags alike); a commit id is fetched by itself (servers allow
    it for reachable commits: GitHub, GitLab, and git with uploadpack.allowReachableSHA1InWant)."""
    kind, name = ref
    if kind == "name":
        try:
            repo = clone_bare(git, scratch, url=url, branch=name, has_token=has_token)
        except FetchError as exc:
            if exc.kind == "branch_missing":
                raise FetchError("ref_missing", _missing_message(kind, name)) from None
            raise
        return repo, _commit_sha(git, scratch, repo)
    repo = scratch / "repo.git"
    for args in (
        ["init", "--bare", "--quiet", "--template=", "--", str(repo)],
        ["config", "core.repositoryformatversion", "1"],
        ["config", "extensions.partialClone", "origin"],
        ["config", "remote.origin.url", url],
        ["config", "remote.origin.promisor", "true"],
        ["config", "remote.origin.partialCloneFilter", "blob:none"],
    ):
        result = git.run(args, cwd=scratch, git_dir=None if args[0] == "init" else repo)
        if result.returncode:
            raise FetchError("git_error", f"git failed: {last_error_line(result.stderr)}")
    fetch = ["fetch", "--quiet", "--depth=1", "--no-tags", "--no-write-fetch-head", "--filter=blob:none"]
    fetch += ["--recurse-submodules=no", "origin", name]
    result = git.run(fetch, cwd=scratch, git_dir=repo, watch=scratch)
    if result.returncode:
        if _UNKNOWN_OBJECT.search(result.stderr):
            raise FetchError("ref_missing", _missing_message(kind, name))
        raise classify(result.stderr, has_token=has_token, branch=name)
    check = git.run(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"],
        cwd=scratch,
        git_dir=repo,
    )
    if check.returncode:
        raise FetchError("ref_missing", _missing_message(kind, name))
    return repo, check.stdout.decode("ascii").strip()


_UNKNOWN_OBJECT = re.compile(
    r"not our ref|couldn't find remote ref|no such remote ref|unadvertised object|bad object", re.IGNORECASE
)


def _commit_time(git: Git, scratch: Path, repo: Path, sha: str) -> int | None:
    result = git.run(["show", "-s", "--format=%ct", "--end-of-options", sha], cwd=scratch, git_dir=repo)
    text = result.stdout.decode("ascii", "replace").strip()
    return int(text) if result.returncode == 0 and text.isdigit() else None


def clone_bare(git: Git, scratch: Path, *, url: str, branch: str, has_token: bool, depth: int = 1) -> Path:
    """Shallow, blob-less, bare clone of one branch (or tag); ``--`` ends options so a URL is
    never one."""
    repo = scratch / "repo.git"
    args = [
        "clone",
        "--bare",
        "--quiet",
        f"--depth={depth}",
        "--single-branch",
        f"--branch={branch}",
        "--no-tags",
    ]
    # No template: no sample hooks or other files copied into the repository.
    args += ["--filter=blob:none", "--template=", "--", url, str(repo)]
    result = git.run(args, cwd=scratch, watch=scratch)
    if result.returncode:
        raise classify(result.stderr, has_token=has_token, branch=branch)
    return repo


@contextlib.contextmanager
def _git_session(
    target: ValidatedURL, token: str | None, timeout_s: float, max_bytes: int, base: Path | None = None
) -> Iterator[tuple[Git, Path]]:
    """A Git for ``target`` and a private scratch directory (under ``base`` when given), removed
    afterwards even on failure."""
    scratch = Path(tempfile.mkdtemp(prefix="readiness-fetch-", dir=base))
    try:
        home = scratch / "home"
        home.mkdir()
        git = Git(
            home=home,
            config=hardened_config(schemes=[target.scheme], token=token, curl_resolve=target.curl_resolve()),
            timeout_s=timeout_s,
            max_bytes=max_bytes,
            secrets=_secrets(token),
            extra_env={"GIT_SSH_COMMAND": SSH_COMMAND} if target.scheme == "ssh" else None,
        )
        yield git, scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _secrets(token: str | None) -> list[str]:
    if not token:
        return []
    return [token, basic_credentials(token), f"{TOKEN_USER}:{token}"]


def _run_ok(git: Git, args: list[str], scratch: Path, repo: Path, branch: str, token: str | None) -> bytes:
    result = git.run(args, cwd=scratch, git_dir=repo, watch=scratch)
    if result.returncode:
        raise classify(result.stderr, has_token=bool(token), branch=branch)
    return result.stdout


def _commit_sha(git: Git, scratch: Path, repo: Path) -> str:
    args = ["rev-parse", "--verify", "--end-of-options", "HEAD^{commit}"]
    result = git.run(args, cwd=scratch, git_dir=repo)
    if result.returncode:
        raise FetchError("git_error", "The fetched branch has no commit")
    return result.stdout.decode("ascii").strip()


def _export(
    git: Git,
    scratch: Path,
    repo: Path,
    paths_by_oid: dict[str, list[str]],
    dest: Path,
    skipped: list[tuple[str, str]],
    max_file_bytes: int,
    branch: str,
    token: str | None,
) -> list[str]:
    """Fetch the chosen blobs in one request, drop the oversized ones, write the rest into ``dest``."""
    if not paths_by_oid:
        return []
    oids = "".join(f"{oid}\n" for oid in paths_by_oid).encode("ascii")
    # What git's own lazy fetch runs, but for all blobs at once instead of one request per blob.
    prefetch = ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags"]
    prefetch += [
        "--no-write-fetch-head",
        "--recurse-submodules=no",
        "--filter=blob:none",
        "--stdin",
        "origin",
    ]
    result = git.run(prefetch, cwd=scratch, git_dir=repo, stdin=oids, watch=scratch)
    if result.returncode:
        raise classify(result.stderr, has_token=bool(token), branch=branch)
    sizes = _blob_sizes(git, scratch, repo, oids)
    keep: list[str] = []
    for oid, paths in paths_by_oid.items():
        size = sizes.get(oid)
        if size is None:
            skipped.extend((p, "blob missing from the fetched objects") for p in paths)
        elif size > max_file_bytes:
            skipped.extend((p, f"larger than {max_file_bytes // 1024} KiB") for p in paths)
        else:
            keep.append(oid)
    total = sum(sizes[oid] * len(paths_by_oid[oid]) for oid in keep)
    if total > git.max_bytes:
        # Compressed blobs can expand far beyond what was fetched; the cap holds for what is written too.
        raise FetchError("too_large", "The files to analyse are larger than the fetch limit")
    with tempfile.TemporaryFile(dir=scratch) as blobs:
        stdin = "".join(f"{oid}\n" for oid in keep).encode("ascii")
        result = git.run(["cat-file", "--batch"], cwd=scratch, git_dir=repo, stdin=stdin, stdout=blobs)
        if result.returncode:
            raise classify(result.stderr, has_token=bool(token), branch=branch)
        blobs.seek(0)
        written, unwritten = write_blobs(blobs, oids=keep, paths_by_oid=paths_by_oid, dest=dest)
    skipped.extend(unwritten)
    return written


def _blob_sizes(git: Git, scratch: Path, repo: Path, oids: bytes) -> dict[str, int]:
    result = git.run(["cat-file", "--batch-check"], cwd=scratch, git_dir=repo, stdin=oids, watch=scratch)
    sizes: dict[str, int] = {}
    for line in result.stdout.decode("ascii", "replace").splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == "blob":
            sizes[fields[0]] = int(fields[2])
    return sizes


def _claim_destination(dest: Path) -> tuple[Path, bool]:
    """Make sure ``dest`` is an empty real directory; True when this call created it."""
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise ValueError(f"{dest} is not a directory")
    if dest.exists():
        if any(dest.iterdir()):
            raise ValueError(f"{dest} is not empty")
        return dest, False
    dest.mkdir(parents=True)
    return dest, True


def _clear(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
