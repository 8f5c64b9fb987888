"""The git runner's deadline and size cap hold for git and every process it starts."""

import time
from pathlib import Path

import pytest

from readiness.sources import FetchError
from readiness.sources.runner import Git, hardened_config, parse_git_version, require_git

from .processes import gone_within

MiB = 1024 * 1024


def make_git(tmp_path: Path, *, timeout_s: float = 20, max_bytes: int = MiB) -> Git:
    home = tmp_path / "home"
    home.mkdir()
    config = hardened_config(schemes=["https"], token=None, curl_resolve=None)
    return Git(home=home, config=config, timeout_s=timeout_s, max_bytes=max_bytes)


def test_endless_output_is_cut_at_the_size_cap(tmp_path):
    git = make_git(tmp_path, max_bytes=MiB)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        git.run(["-c", "alias.spam=!yes", "spam"], cwd=tmp_path)
    assert caught.value.kind == "too_large"
    assert time.monotonic() - started < 5


def test_deadline_kills_git_and_the_processes_it_started(tmp_path):
    git = make_git(tmp_path, timeout_s=1)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        git.run(["-c", "alias.wait=!sleep 37.25; true", "wait"], cwd=tmp_path)
    assert caught.value.kind == "timeout"
    assert "1 s" in caught.value.user_message
    assert time.monotonic() - started < 1 + 5
    assert gone_within(3, "sleep 37.25")


def test_size_cap_counts_files_written_under_the_watched_folder(tmp_path):
    git = make_git(tmp_path, max_bytes=MiB)
    watched = tmp_path / "watched"
    watched.mkdir()
    alias = f"alias.fill=!head -c {4 * MiB} /dev/zero > {watched}/blob; sleep 30"
    with pytest.raises(FetchError) as caught:
        git.run(["-c", alias, "fill"], cwd=tmp_path, watch=watched)
    assert caught.value.kind == "too_large"


def test_git_without_address_pinning_is_refused():
    assert parse_git_version("git version 2.39.5\n") == (2, 39, 5)
    assert parse_git_version("git version 2.47.0.windows.1") == (2, 47, 0)
    require_git((2, 37))
    for version in [(2, 36, 9), (1, 9), ()]:
        with pytest.raises(FetchError) as caught:
            require_git(version)
        assert caught.value.kind == "git_error"
        assert "git 2.37 or newer" in caught.value.user_message
