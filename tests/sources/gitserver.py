"""Real git repositories, served by ``git http-backend`` on 127.0.0.1, for the fetcher's tests.

``make_repo`` commits files (including symlinks and submodule entries) into a bare repository;
``GitHTTPServer`` serves a folder of bare repositories over smart HTTP, optionally demanding a token
per repository the way GitHub does (401 with WWW-Authenticate until the Authorization header
carries it), and misbehaving on request (redirects; an error message that repeats the credentials
it received); ``SilentServer`` accepts connections and never answers.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

GIT_EXEC_PATH = Path(
    subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip()
)
HTTP_BACKEND = GIT_EXEC_PATH / "git-http-backend"
# The test's own git commands must not read the developer's configuration either.
CLEAN_GIT_ENV = {
    "PATH": os.environ.get("PATH", os.defpath),
    "HOME": "/nonexistent",
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=CLEAN_GIT_ENV, input=stdin, capture_output=True, check=False
    )
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode().strip()


@dataclass(frozen=True)
class Symlink:
    target: str


@dataclass(frozen=True)
class Submodule:
    commit: str = "1" * 40


FileSpec = bytes | str | Symlink | Submodule


@dataclass
class Repo:
    path: Path  # the bare repository
    commit: str
    branch: str


def make_repo(
    root: Path, name: str, files: dict[str, FileSpec], *, branch: str = "main", compress: bool = True
) -> Repo:
    """Commit ``files`` to ``branch`` of a new bare repository ``root/<name>.git``, ready to be served.

    ``compress=False`` stores and serves objects uncompressed: much faster for big random blobs.
    """
    work = root / f"{name}.work"
    work.mkdir(parents=True)
    git("init", "--quiet", f"--initial-branch={branch}", cwd=work)
    if not compress:
        git("config", "core.compression", "0", cwd=work)
    for rel, spec in files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, Symlink):
            path.symlink_to(spec.target)
        elif isinstance(spec, Submodule):
            git("update-index", "--add", "--cacheinfo", f"160000,{spec.commit},{rel}", cwd=work)
            continue
        else:
            path.write_bytes(spec.encode() if isinstance(spec, str) else spec)
        git("add", "--", rel, cwd=work)
    git("commit", "--quiet", "-m", "fixture", cwd=work)
    bare = root / f"{name}.git"
    git("clone", "--quiet", "--bare", str(work), str(bare))
    # Partial clone needs the server to accept filters and wants of any blob.
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
    if not compress:
        git("config", "core.compression", "0", cwd=bare)
    return Repo(path=bare, commit=git("rev-parse", "HEAD", cwd=work), branch=branch)


@dataclass
class History:
    path: Path  # the bare repository
    commits: list[str]  # oldest first
    branch: str


def make_history(
    root: Path,
    name: str,
    commits: list[dict[str, str | None]],
    *,
    branch: str = "main",
    start: int = 1_767_225_600,  # 2026-01-01T00:00:00Z
    step: int = 86_400,
    tags: dict[str, int] | None = None,
    branches: dict[str, dict[str, str]] | None = None,
) -> History:
    """A bare repository ``root/<name>.git`` whose ``branch`` has one commit per entry of
    ``commits`` (oldest first; each maps paths to new contents, None removes the file), a day
    apart from ``start`` (committer and author dates). ``tags`` name commits by index; each of
    ``branches`` forks from the last commit with its own files."""
    work = root / f"{name}.work"
    work.mkdir(parents=True)
    git("init", "--quiet", f"--initial-branch={branch}", cwd=work)
    shas = []

    def commit(files: dict[str, str | None], when: int, message: str) -> str:
        for rel, text in files.items():
            path = work / rel
            if text is None:
                git("rm", "--quiet", "--", rel, cwd=work)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            git("add", "--", rel, cwd=work)
        date = f"@{when} +0000"
        result = subprocess.run(
            ["git", "commit", "--quiet", "--allow-empty", "-m", message],
            cwd=work,
            env={**CLEAN_GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date},
            capture_output=True,
            check=True,
        )
        assert result.returncode == 0
        return git("rev-parse", "HEAD", cwd=work)

    for n, files in enumerate(commits):
        shas.append(commit(files, start + n * step, f"commit {n}"))
    for tag, index in (tags or {}).items():
        git("tag", tag, shas[index], cwd=work)
    for other, files in (branches or {}).items():
        git("checkout", "--quiet", "-b", other, cwd=work)
        commit(files, start + len(commits) * step, f"on {other}")
        git("checkout", "--quiet", branch, cwd=work)
    bare = root / f"{name}.git"
    git("clone", "--quiet", "--bare", str(work), str(bare))
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
    return History(path=bare, commits=shas, branch=branch)


def make_raw_tree_repo(root: Path, name: str, entry_names: list[str], content: bytes) -> Repo:
    """A repository whose root tree has entries git itself would refuse to create (``..``, ``.git``).

    Built with plumbing (mktree does not judge names), the way an attacker's server would.
    """
    bare = root / f"{name}.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    blob = git("hash-object", "-w", "--stdin", cwd=bare, stdin=content)
    rows = "".join(f"100644 blob {blob}\t{entry}\n" for entry in sorted(entry_names))
    tree = git("mktree", cwd=bare, stdin=rows.encode())
    commit = git("commit-tree", tree, "-m", "hostile", cwd=bare)
    git("update-ref", "refs/heads/main", commit, cwd=bare)
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
    return Repo(path=bare, commit=commit, branch="main")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class SeenRequest:
    method: str
    path: str
    authorization: str


@dataclass
class GitHTTPServer:
    """Serves every bare repository under ``root`` at ``http://127.0.0.1:<port>/<name>.git``."""

    root: Path
    tokens: dict[str, str] = field(default_factory=dict)  # repository name -> required token
    redirects: dict[str, str] = field(default_factory=dict)  # repository name -> Location
    echo_credentials: set[str] = field(default_factory=set)  # repository names that leak them back
    requests: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = make_server(
            "127.0.0.1", 0, self._app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> GitHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}.git"

    def _app(self, environ: dict, start_response):
        path = environ.get("PATH_INFO", "")
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        self.requests.append(SeenRequest(environ["REQUEST_METHOD"], path, authorization))
        name = path.lstrip("/").split("/", 1)[0].removesuffix(".git")
        required = self.tokens.get(name)
        if required and authorization not in _accepted_authorizations(required):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"authentication required\n"]
        if name in self.redirects:
            start_response("301 Moved Permanently", [("Location", self.redirects[name])])
            return [b""]
        if name in self.echo_credentials:
            # A smart-HTTP "ERR" line: git prints it verbatim as "fatal: remote error: ...".
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            start_response("200 OK", [("Content-Type", "application/x-git-upload-pack-advertisement")])
            return [_pkt_line(f"ERR you sent {decoded} ({authorization})\n")]
        return self._backend(environ, start_response)

    def _backend(self, environ: dict, start_response):
        body = _request_body(environ)
        cgi_env = {
            **CLEAN_GIT_ENV,
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": environ.get("PATH_INFO", ""),
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": environ.get("REMOTE_ADDR", "127.0.0.1"),
            # Git-Protocol (v2) and Content-Encoding (gzip) reach the backend as HTTP_* variables.
            **{k: v for k, v in environ.items() if k.startswith("HTTP_") and k != "HTTP_AUTHORIZATION"},
        }
        backend = subprocess.Popen(
            [str(HTTP_BACKEND)], env=cgi_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        backend.stdin.write(body)
        backend.stdin.close()
        status, headers = "200 OK", []
        # CGI headers, then the body streamed as the backend writes it (a client's size cap
        # must be able to trip before the whole pack has been produced).
        while line := backend.stdout.readline().rstrip(b"\r\n"):
            key, _, value = line.decode("latin-1").partition(":")
            if key.lower() == "status":
                status = value.strip()
            else:
                headers.append((key, value.strip()))
        start_response(status, headers)
        return _stream(backend)


def _stream(backend: subprocess.Popen):
    try:
        while chunk := backend.stdout.read1(64 * 1024):
            yield chunk
    finally:
        backend.kill()
        backend.wait()
        backend.stdout.close()


def _pkt_line(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


def _accepted_authorizations(token: str) -> set[str]:
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {f"Basic {basic}", f"Bearer {token}"}


def _request_body(environ: dict) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        # git streams large requests in chunks, which wsgiref does not decode.
        chunks = []
        while True:
            size = int(stream.readline().split(b";")[0], 16)
            if size == 0:
                stream.readline()
                return b"".join(chunks)
            chunks.append(stream.read(size))
            stream.readline()
    return stream.read(int(environ.get("CONTENT_LENGTH") or 0))


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self._connections.append(connection)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}.git"

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._socket.close()
        for connection in self._connections:
            connection.close()
