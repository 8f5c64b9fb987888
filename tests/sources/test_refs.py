"""Fetching a given branch, tag or commit, and listing a branch's last commits, from a real git
server on 127.0.0.1 (git http-backend)."""

import pytest

from readiness.sources import (
    FetchError,
    RepoURLError,
    check_ref,
    fetch_repository,
    list_commits,
    validate_ref,
)

from .conftest import loopback_options
from .gitserver import make_history

START = 1_767_225_600  # the first commit's date, 2026-01-01T00:00:00Z


@pytest.fixture
def history(served):
    return make_history(
        served.root,
        "svc",
        [
            {"Dockerfile": "FROM python:3.11\n"},
            {"Dockerfile": "FROM python:3.12\n", "compose.yaml": "services: {}\n"},
            {"Dockerfile": "FROM python:3.13\n"},
            {"compose.yaml": None},
        ],
        tags={"v1.0": 1},
        branches={"feature": {"Dockerfile": "FROM python:3.14\n"}},
    )


def fetch(served, tmp_path, ref, name="out"):
    return fetch_repository(
        url=served.url("svc"),
        branch="main",
        ref=ref,
        dest_dir=tmp_path / name,
        **loopback_options(served.port),
    )


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("main", ("name", "main")),
        ("refs/tags/v1.0", ("name", "v1.0")),
        ("refs/heads/release/2", ("name", "release/2")),
        ("A" * 40, ("commit", "a" * 40)),
        ("b" * 64, ("commit", "b" * 64)),
        ("abc1234", ("name", "abc1234")),
    ],
)
def test_refs_are_read_as_names_or_commits(ref, expected):
    assert validate_ref(ref) == expected


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "  ",
        "--upload-pack=touch /tmp/x",
        "-b",
        "a..b",
        "x y",
        "x\ny",
        "HEAD@{1}",
        "v1^",
        "ref:x",
        "a/",
        "@",
    ],
)
def test_refs_that_could_be_options_or_are_invalid_are_refused(ref):
    with pytest.raises(RepoURLError):
        validate_ref(ref)


def test_a_tag_a_branch_and_a_commit_are_fetched_with_their_commit_and_date(served, history, tmp_path):
    tag = fetch(served, tmp_path, "v1.0", "tag")
    assert tag.commit_sha == history.commits[1]
    assert tag.committed_at == START + 86_400
    assert (tmp_path / "tag" / "Dockerfile").read_text() == "FROM python:3.12\n"
    assert (tmp_path / "tag" / "compose.yaml").exists()

    first = fetch(served, tmp_path, history.commits[0], "first")
    assert (first.commit_sha, first.committed_at) == (history.commits[0], START)
    assert (tmp_path / "first" / "Dockerfile").read_text() == "FROM python:3.11\n"
    assert not (tmp_path / "first" / "compose.yaml").exists()

    feature = fetch(served, tmp_path, "feature", "feature")
    assert (tmp_path / "feature" / "Dockerfile").read_text() == "FROM python:3.14\n"
    assert feature.commit_sha not in history.commits

    head = fetch_repository(
        url=served.url("svc"), branch="main", dest_dir=tmp_path / "head", **loopback_options(served.port)
    )
    assert (head.commit_sha, head.committed_at) == (history.commits[-1], START + 3 * 86_400)


@pytest.mark.parametrize("ref", ["nope", "c" * 40])
def test_an_unknown_ref_is_ref_missing_and_leaves_nothing(served, history, tmp_path, ref):
    with pytest.raises(FetchError) as caught:
        fetch(served, tmp_path, ref)
    assert caught.value.kind == "ref_missing"
    assert ("branch or tag named 'nope'" if ref == "nope" else "not in the repository") in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_check_ref_asks_the_server_about_names_only(served, history):
    options = {"url": served.url("svc"), **loopback_options(served.port)}
    assert check_ref(ref="v1.0", **options) == ("name", "v1.0")
    assert check_ref(ref="feature", **options) == ("name", "feature")
    with pytest.raises(FetchError) as caught:
        check_ref(ref="abc1234", **options)
    assert caught.value.kind == "ref_missing"
    assert "full 40-character id" in str(caught.value)
    served.requests.clear()
    assert check_ref(ref=history.commits[0], **options) == ("commit", history.commits[0])
    assert served.requests == []  # a commit id is only validated
    with pytest.raises(RepoURLError):
        check_ref(ref="--output=/tmp/x", **options)


def test_list_commits_returns_the_branch_newest_first_with_dates(served, history):
    commits = list_commits(url=served.url("svc"), branch="main", count=3, **loopback_options(served.port))
    assert [c.sha for c in commits] == history.commits[::-1][:3]
    assert [c.committed_at for c in commits] == [START + 3 * 86_400, START + 2 * 86_400, START + 86_400]
    assert commits[0].subject == "commit 3"
    every = list_commits(url=served.url("svc"), branch="main", count=50, **loopback_options(served.port))
    assert [c.sha for c in every] == history.commits[::-1]
    with pytest.raises(FetchError) as caught:
        list_commits(url=served.url("svc"), branch="gone", count=3, **loopback_options(served.port))
    assert caught.value.kind == "branch_missing"
