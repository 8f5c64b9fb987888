"""fetch_repository and check_reachable against real repositories served by git http-backend."""

import time
from pathlib import Path

import pytest

from readiness.sources import FetchError, RepoURLError, check_reachable, fetch_repository

from .conftest import loopback_options
from .gitserver import GitHTTPServer, Submodule, Symlink, make_repo
from .processes import gone_within

MiB = 1024 * 1024
APP_FILES = {
    "Dockerfile": "FROM python:3.12-slim\nUSER app\n",
    "docker-compose.yml": "services:\n  web:\n    build: .\n",
    ".github/workflows/ci.yml": "on: push\n",
    "requirements.txt": "django==5.2\n",
    "src/app.py": "print('not wanted')\n",
    "README.md": "# app\n",
    "services/api/Dockerfile": "FROM golang:1.23\n",
    "services/api/go.mod": "module api\n",
}


@pytest.fixture
def app_repo(served):
    return make_repo(served.root, "app", APP_FILES)


def fetch(server: GitHTTPServer, name: str, dest: Path, **kwargs):
    kwargs.setdefault("branch", "main")
    return fetch_repository(url=server.url(name), dest_dir=dest, **loopback_options(server.port), **kwargs)


def files_under(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_fetch_writes_only_wanted_files_with_their_content_and_the_commit(served, app_repo, tmp_path):
    dest = tmp_path / "out"
    result = fetch(served, "app", dest)

    assert result.commit_sha == app_repo.commit
    wanted = {k: v for k, v in APP_FILES.items() if not k.endswith((".py", ".md"))}
    assert files_under(dest) == wanted
    assert sorted(result.files_written) == sorted(wanted)
    assert result.skipped == []
    assert 0 < result.bytes_fetched < MiB
    assert all(p.is_file() and not p.is_symlink() for p in dest.rglob("*") if not p.is_dir())


def test_blobs_are_fetched_in_one_request_after_a_blobless_clone(served, app_repo, tmp_path):
    fetch(served, "app", tmp_path / "out")
    posts = [r for r in served.requests if r.method == "POST"]
    # ls-refs and the commit/tree fetch of the clone, then one fetch for all wanted blobs.
    assert len(posts) == 3


def test_subfolder_becomes_the_root_of_the_destination(served, app_repo, tmp_path):
    result = fetch(served, "app", tmp_path / "out", subfolder="services/api/")
    assert files_under(tmp_path / "out") == {"Dockerfile": "FROM golang:1.23\n", "go.mod": "module api\n"}
    assert result.commit_sha == app_repo.commit


def test_missing_subfolder_is_not_found(served, app_repo, tmp_path):
    with pytest.raises(FetchError) as caught:
        fetch(served, "app", tmp_path / "out", subfolder="services/web")
    assert caught.value.kind == "not_found"
    assert "services/web" in caught.value.user_message


def test_a_wanted_predicate_replaces_the_default_selection(served, app_repo, tmp_path):
    result = fetch(served, "app", tmp_path / "out", wanted=lambda path: path.endswith(".md"))
    assert result.files_written == ["README.md"]


def test_symlinks_and_submodules_are_skipped_and_reported(served, tmp_path):
    make_repo(
        served.root,
        "links",
        {
            "Dockerfile": "FROM alpine\n",
            "api/Dockerfile": Symlink("/etc/passwd"),
            "web/compose.yml": Symlink("../Dockerfile"),
            "libs/shared": Submodule(),
        },
    )
    dest = tmp_path / "out"
    result = fetch(served, "links", dest)

    assert files_under(dest) == {"Dockerfile": "FROM alpine\n"}
    assert not (dest / "api").exists() and not (dest / "web").exists()
    assert sorted(result.skipped) == [
        ("api/Dockerfile", "symlink not followed"),
        ("libs/shared", "submodule not fetched"),
        ("web/compose.yml", "symlink not followed"),
    ]


def test_token_repository_works_with_the_token(served, tmp_path):
    repo = make_repo(served.root, "private", {"Dockerfile": "FROM scratch\n"})
    served.tokens["private"] = "tok-1234567890"
    result = fetch(served, "private", tmp_path / "out", token="tok-1234567890")
    assert result.commit_sha == repo.commit
    assert (tmp_path / "out" / "Dockerfile").read_text() == "FROM scratch\n"
    check_reachable(
        url=served.url("private"), branch="main", token="tok-1234567890", **loopback_options(served.port)
    )


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_token_repository_refuses_without_the_right_token(served, tmp_path, token):
    make_repo(served.root, "private", {"Dockerfile": "FROM scratch\n"})
    served.tokens["private"] = "tok-1234567890"
    with pytest.raises(FetchError) as caught:
        fetch(served, "private", tmp_path / "out", token=token)
    assert caught.value.kind == "auth_failed"
    assert "authentication failed" in caught.value.user_message
    with pytest.raises(FetchError) as reach:
        check_reachable(
            url=served.url("private"), branch="main", token=token, **loopback_options(served.port)
        )
    assert reach.value.kind == "auth_failed"


def test_wrong_branch_is_branch_missing(served, app_repo, tmp_path):
    with pytest.raises(FetchError) as caught:
        fetch(served, "app", tmp_path / "out", branch="develop")
    assert caught.value.kind == "branch_missing"
    assert "develop" in caught.value.user_message
    with pytest.raises(FetchError) as reach:
        check_reachable(url=served.url("app"), branch="develop", **loopback_options(served.port))
    assert reach.value.kind == "branch_missing"


def test_a_branch_that_only_ends_like_the_wanted_one_does_not_count(served, tmp_path):
    make_repo(served.root, "nested", {"Dockerfile": "FROM alpine\n"}, branch="feature/main")
    with pytest.raises(FetchError) as caught:
        check_reachable(url=served.url("nested"), branch="main", **loopback_options(served.port))
    assert caught.value.kind == "branch_missing"
    check_reachable(url=served.url("nested"), branch="feature/main", **loopback_options(served.port))


def test_missing_repository_is_not_found(served, tmp_path):
    with pytest.raises(FetchError) as caught:
        fetch(served, "nothing-here", tmp_path / "out")
    assert caught.value.kind == "not_found"
    with pytest.raises(FetchError) as reach:
        check_reachable(url=served.url("nothing-here"), branch="main", **loopback_options(served.port))
    assert reach.value.kind == "not_found"


def test_loopback_server_is_refused_without_the_administrator_allow_rule(served, app_repo, tmp_path):
    options = {"allow_http_hosts": [served.host_port]}
    with pytest.raises(FetchError) as caught:
        fetch_repository(url=served.url("app"), branch="main", dest_dir=tmp_path / "out", **options)
    assert caught.value.kind == "host_not_allowed"
    assert "loopback" in caught.value.user_message
    with pytest.raises(FetchError) as reach:
        check_reachable(url=served.url("app"), branch="main", **options)
    assert reach.value.kind == "host_not_allowed"
    assert served.requests == []


def test_redirects_are_not_followed(served, app_repo, tmp_path):
    served.redirects["moved"] = served.url("app")
    with pytest.raises(FetchError) as caught:
        fetch(served, "moved", tmp_path / "out")
    assert caught.value.kind == "git_error"
    assert "redirect" in caught.value.user_message
    assert not any(r.path.startswith("/app.git") for r in served.requests)


def test_git_connects_to_the_judged_address_not_a_fresh_lookup(served, app_repo, tmp_path):
    # The name does not resolve at all: the fetch only works because git is pinned to the
    # address the judge returned.
    name = "git.readiness-test.invalid"
    options = loopback_options(served.port)
    judge = options["judge_host"]
    result = fetch_repository(
        url=f"http://{name}:{served.port}/app.git",
        branch="main",
        dest_dir=tmp_path / "out",
        allow_http_hosts=[f"{name}:{served.port}"],
        judge_host=lambda host, port: judge("127.0.0.1", port),
    )
    assert result.commit_sha == app_repo.commit


def test_file_urls_only_when_local_sources_are_allowed(served, app_repo, tmp_path):
    url = app_repo.path.as_uri()
    with pytest.raises(RepoURLError):
        fetch_repository(url=url, branch="main", dest_dir=tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    result = fetch_repository(url=url, branch="main", dest_dir=tmp_path / "out", allow_local=True)
    assert result.commit_sha == app_repo.commit
    assert (tmp_path / "out" / "Dockerfile").read_text() == APP_FILES["Dockerfile"]
    by_path = fetch_repository(
        url=str(app_repo.path), branch="main", dest_dir=tmp_path / "out2", allow_local=True
    )
    assert by_path.files_written == result.files_written


def test_server_that_never_answers_times_out_and_git_is_killed(silent, tmp_path):
    options = loopback_options(silent.port)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_repository(
            url=silent.url("app"), branch="main", dest_dir=tmp_path / "out", timeout_s=2, **options
        )
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 2 + 5
    # git-remote-http, a child of git, carries the URL in its argv: none may survive.
    assert gone_within(3, f"127.0.0.1:{silent.port}")
    with pytest.raises(FetchError) as reach:
        check_reachable(url=silent.url("app"), branch="main", timeout_s=1, **options)
    assert reach.value.kind == "timeout"


def test_destination_must_be_empty(served, app_repo, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        fetch(served, "app", dest)
    assert (dest / "keep.txt").read_text() == "mine"


def test_destination_is_left_empty_or_absent_after_a_failure(served, app_repo, tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(FetchError):
        fetch(served, "app", existing, branch="develop")
    assert list(existing.iterdir()) == []
    with pytest.raises(FetchError):
        fetch(served, "app", tmp_path / "new", branch="develop")
    assert not (tmp_path / "new").exists()
