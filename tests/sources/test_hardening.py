"""The defences of the fetcher, each shown to hold against a real git."""

import logging
import os
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from readiness.sources import FetchError, RepoURLError, check_reachable, fetch_repository
from readiness.sources.git import clone_bare
from readiness.sources.runner import Git, hardened_config

from .conftest import loopback_options
from .gitserver import GitHTTPServer, make_raw_tree_repo, make_repo

MiB = 1024 * 1024
TOKEN = "ghp_S3cretTokenValue0123456789"


@pytest.fixture
def scratch_tmp(tmp_path, monkeypatch) -> Path:
    """Point tempfile at a folder of our own, so leftovers of a fetch can be seen."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def https_only_git(home: Path) -> Git:
    return Git(
        home=home,
        config=hardened_config(schemes=["https"], token=None, curl_resolve=None),
        timeout_s=20,
        max_bytes=MiB,
    )


@pytest.mark.parametrize("url", ["--upload-pack=touch x", "--upload-pack=touch${IFS}x", "-u touch x"])
def test_option_shaped_urls_are_refused_and_run_nothing(url, tmp_path, monkeypatch, scratch_tmp):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RepoURLError, match="cannot start with '-'"):
        fetch_repository(url=url, branch="main", dest_dir=tmp_path / "out", allow_local=True)
    with pytest.raises(RepoURLError):
        check_reachable(url=url, branch="main", allow_local=True)
    assert not (tmp_path / "x").exists()
    assert list(scratch_tmp.iterdir()) == []


def test_urls_reach_git_only_after_a_double_dash(served, tmp_path, monkeypatch):
    # Below the validation: "--" ends git's options, so no URL can ever be read as one.
    make_repo(served.root, "app", {"Dockerfile": "FROM alpine\n"})
    recorder = Recorder(monkeypatch)
    options = loopback_options(served.port)
    fetch_repository(url=served.url("app"), branch="main", dest_dir=tmp_path / "out", **options)
    check_reachable(url=served.url("app"), branch="main", **options)
    with_url = [argv for argv, _env in recorder.git_calls() if served.url("app") in argv]
    assert [argv[1] for argv in with_url] == ["clone", "ls-remote"]
    assert all(argv[argv.index(served.url("app")) - 1] == "--" for argv in with_url)


def test_ext_transport_is_refused_and_runs_nothing(tmp_path):
    with pytest.raises(RepoURLError):
        fetch_repository(url="ext::sh -c touch% /tmp/pwned", branch="main", dest_dir=tmp_path / "out")
    with pytest.raises(RepoURLError):
        check_reachable(url="ext::sh -c touch% /tmp/pwned", branch="main")
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize("transport", ["ext::sh -c touch% {marker}", "file://{repo}"])
def test_protocol_allowlist_blocks_other_transports_inside_git(transport, tmp_path, served):
    # Below the validation: the git configuration alone refuses every transport but https.
    repo = make_repo(served.root, "app", {"Dockerfile": "FROM alpine\n"})
    marker = tmp_path / "pwned"
    (tmp_path / "home").mkdir()
    git = https_only_git(tmp_path / "home")
    url = transport.format(marker=marker, repo=repo.path)
    with pytest.raises(FetchError) as caught:
        clone_bare(git, tmp_path, url=url, branch="main", has_token=False)
    assert "not allowed" in str(caught.value)
    assert not marker.exists()
    assert not (tmp_path / "repo.git").exists()


def test_lazy_fetches_started_by_git_itself_carry_the_token(served, tmp_path):
    # If git fetches a missing blob on its own (partial clone), that child process must get the
    # same configuration, token header included, from the environment.
    repo = make_repo(served.root, "private", {"Dockerfile": "FROM scratch\n"})
    served.tokens["private"] = TOKEN
    home = tmp_path / "home"
    home.mkdir()
    git = Git(
        home=home,
        config=hardened_config(schemes=["http"], token=TOKEN, curl_resolve=None),
        timeout_s=20,
        max_bytes=MiB,
    )
    clone = clone_bare(git, tmp_path, url=served.url("private"), branch="main", has_token=True)
    before = len(served.requests)
    blob = git.run(["cat-file", "blob", f"{repo.commit}:Dockerfile"], cwd=tmp_path, git_dir=clone)
    assert (blob.returncode, blob.stdout) == (0, b"FROM scratch\n")
    lazy = served.requests[before:]
    assert lazy and all(r.authorization.startswith("Basic ") for r in lazy)


class Recorder:
    """Wraps subprocess.Popen to keep the argv and environment of every process started."""

    def __init__(self, monkeypatch):
        self.calls: list[tuple[list[str], dict]] = []
        real = subprocess.Popen

        def recording(args, *rest, **kwargs):
            self.calls.append((list(args), dict(kwargs.get("env") or {})))
            return real(args, *rest, **kwargs)

        monkeypatch.setattr(subprocess, "Popen", recording)

    def git_calls(self):
        # git may run under setpriv (its worker's death kills it): look at the command after "--".
        unwrapped = [
            (argv[argv.index("--") + 1 :] if argv[0].endswith("setpriv") else argv, env)
            for argv, env in self.calls
        ]
        return [(argv, env) for argv, env in unwrapped if argv[:1] == ["git"]]


class ProcessWatcher:
    """Reads every process's command line from /proc while a fetch runs, as ``ps`` would."""

    def __init__(self):
        self.cmdlines: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _watch(self):
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                try:
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"git" in raw:
                    self.cmdlines.add(raw.replace(b"\0", b" ").decode(errors="replace"))


def test_token_travels_only_in_the_environment_as_a_header(served, tmp_path, monkeypatch):
    make_repo(served.root, "private", {"Dockerfile": "FROM scratch\n"})
    served.tokens["private"] = TOKEN
    recorder = Recorder(monkeypatch)
    with ProcessWatcher() as watcher:
        fetch_repository(
            url=served.url("private"),
            branch="main",
            token=TOKEN,
            dest_dir=tmp_path / "out",
            **loopback_options(served.port),
        )

    calls = recorder.git_calls()
    assert len(calls) >= 5  # clone, rev-parse, ls-tree, fetch, cat-file x2
    for argv, env in calls:
        assert not any(TOKEN in arg for arg in argv)
        header_values = [v for k, v in env.items() if TOKEN in v or "Authorization" in v]
        assert header_values and all(v.startswith("Authorization: Basic ") for v in header_values)
        assert env["GIT_CONFIG_KEY_" + _index_of(env, "http.extraHeader")] == "http.extraHeader"
    assert any("git-remote-http" in line or "clone" in line for line in watcher.cmdlines)
    assert not any(TOKEN in line for line in watcher.cmdlines)
    assert all(r.authorization.startswith("Basic ") for r in served.requests)


def _index_of(env: dict, key: str) -> str:
    return next(
        k.removeprefix("GIT_CONFIG_KEY_")
        for k, v in env.items()
        if k.startswith("GIT_CONFIG_KEY_") and v == key
    )


def test_token_echoed_by_a_hostile_server_is_redacted_from_errors_and_logs(served, tmp_path, caplog):
    make_repo(served.root, "leaky", {"Dockerfile": "FROM scratch\n"})
    served.echo_credentials.add("leaky")
    caplog.set_level(logging.DEBUG, logger="readiness.sources")
    options = loopback_options(served.port)
    errors = []
    for call in (
        lambda: fetch_repository(
            url=served.url("leaky"), branch="main", token=TOKEN, dest_dir=tmp_path / "o", **options
        ),
        lambda: check_reachable(url=served.url("leaky"), branch="main", token=TOKEN, **options),
    ):
        with pytest.raises(FetchError) as caught:
            call()
        errors.append(caught.value)

    for error in errors:
        assert "remote error: you sent x-access-token:[redacted]" in error.user_message
        assert TOKEN not in str(error) and TOKEN not in repr(error) and TOKEN not in repr(error.args)
    assert "[redacted]" in caplog.text
    assert TOKEN not in caplog.text


def test_inherited_git_variables_do_not_reach_git(served, tmp_path, monkeypatch):
    make_repo(served.root, "app", {"Dockerfile": "FROM alpine\n"})
    for name, value in {
        "GIT_DIR": str(tmp_path / "elsewhere"),
        "GIT_SSL_NO_VERIFY": "1",
        "GIT_TRACE_CURL": "1",
        "GIT_ASKPASS": "/bin/echo",
        "GIT_ALLOW_PROTOCOL": "ext:file:https:http",
        "http_proxy": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    recorder = Recorder(monkeypatch)
    result = fetch_repository(
        url=served.url("app"), branch="main", dest_dir=tmp_path / "out", **loopback_options(served.port)
    )
    assert result.files_written == ["Dockerfile"]
    for _argv, env in recorder.git_calls():
        assert not {
            "GIT_SSL_NO_VERIFY",
            "GIT_TRACE_CURL",
            "GIT_ASKPASS",
            "GIT_ALLOW_PROTOCOL",
            "http_proxy",
        } & set(env)
        assert env["GIT_TERMINAL_PROMPT"] == "0"
        assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_CONFIG_GLOBAL"] == "/dev/null"
        assert env["HOME"] != os.environ.get("HOME") and Path(env["HOME"]).name == "home"
        config = {
            env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"]
            for i in range(int(env["GIT_CONFIG_COUNT"]))
        }
        assert config["protocol.allow"] == "never" and config["protocol.http.allow"] == "always"
        assert "protocol.file.allow" not in config and "protocol.ext.allow" not in config
        assert config["core.hooksPath"] == "/dev/null" and config["credential.helper"] == ""


def test_temporary_directories_are_removed_after_success_and_failure(served, tmp_path, scratch_tmp):
    make_repo(served.root, "app", {"Dockerfile": "FROM alpine\n"})
    options = loopback_options(served.port)
    fetch_repository(url=served.url("app"), branch="main", dest_dir=tmp_path / "ok", **options)
    assert list(scratch_tmp.iterdir()) == []
    with pytest.raises(FetchError):
        fetch_repository(url=served.url("app"), branch="nope", dest_dir=tmp_path / "bad", **options)
    with pytest.raises(FetchError):
        check_reachable(url=served.url("missing"), branch="main", **options)
    assert list(scratch_tmp.iterdir()) == []


def test_paths_git_would_refuse_are_rejected_by_fsck(served, tmp_path):
    make_raw_tree_repo(served.root, "hostile", ["..", ".git", "Dockerfile"], b"FROM evil\n")
    with pytest.raises(FetchError) as caught:
        fetch_repository(
            url=served.url("hostile"),
            branch="main",
            dest_dir=tmp_path / "out",
            **loopback_options(served.port),
        )
    assert caught.value.kind == "git_error"
    assert "integrity check" in caught.value.user_message
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    """One repository with a 50 MB incompressible lock file, served for the whole module."""
    root = tmp_path_factory.mktemp("big")
    make_repo(
        root,
        "big",
        {
            "Dockerfile": "FROM node:22\n",
            "package.json": '{"name": "big"}\n',
            "package-lock.json": os.urandom(50 * MiB),
            "assets/video.bin": os.urandom(MiB),  # not wanted: never fetched
        },
        compress=False,
    )
    make_repo(root, "bomb", {"Dockerfile": "FROM alpine\n", "package-lock.json": b"\0" * (20 * MiB)})
    server = GitHTTPServer(root=root).start()
    yield server
    server.stop()


def test_blob_over_the_file_cap_is_skipped(big_server, tmp_path):
    dest = tmp_path / "out"
    result = fetch_repository(
        url=big_server.url("big"), branch="main", dest_dir=dest, **loopback_options(big_server.port)
    )
    assert sorted(result.files_written) == ["Dockerfile", "package.json"]
    assert result.skipped == [("package-lock.json", "larger than 1024 KiB")]
    assert not (dest / "package-lock.json").exists()
    assert not (dest / "assets").exists()


def test_repository_over_the_total_cap_is_too_large(big_server, tmp_path, scratch_tmp):
    with pytest.raises(FetchError) as caught:
        fetch_repository(
            url=big_server.url("big"),
            branch="main",
            dest_dir=tmp_path / "out",
            max_bytes=10 * MiB,
            max_file_bytes=100 * MiB,
            **loopback_options(big_server.port),
        )
    assert caught.value.kind == "too_large"
    assert "10 MiB" in caught.value.user_message
    assert list(scratch_tmp.iterdir()) == []


def test_highly_compressible_blobs_are_capped_by_what_they_expand_to(big_server, tmp_path):
    # 20 MB of zeros travels as a few kilobytes; writing it must still respect the total cap.
    with pytest.raises(FetchError) as caught:
        fetch_repository(
            url=big_server.url("bomb"),
            branch="main",
            dest_dir=tmp_path / "out",
            max_bytes=5 * MiB,
            max_file_bytes=100 * MiB,
            **loopback_options(big_server.port),
        )
    assert caught.value.kind == "too_large"
    assert "files to analyse" in caught.value.user_message
    assert not (tmp_path / "out").exists()
