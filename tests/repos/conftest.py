from collections.abc import Iterator

import pytest

from readiness.core.models import AllowedNetwork
from tests.sources.gitserver import GitHTTPServer, SilentServer


@pytest.fixture
def git_server(tmp_path, settings, db) -> Iterator[GitHTTPServer]:
    """A real git HTTP server on 127.0.0.1, reachable the way an administrator would allow it."""
    server = GitHTTPServer(root=tmp_path / "served").start()
    (tmp_path / "served").mkdir()
    settings.READINESS_GIT_HTTP_HOSTS = [server.host_port]
    AllowedNetwork.objects.create(target="127.0.0.1", port=server.port, reason="tests")
    yield server
    server.stop()


@pytest.fixture
def silent_git_server(settings, db) -> Iterator[SilentServer]:
    server = SilentServer()
    settings.READINESS_GIT_HTTP_HOSTS = [f"127.0.0.1:{server.port}"]
    AllowedNetwork.objects.create(target="127.0.0.1", port=server.port, reason="tests")
    yield server
    server.stop()
