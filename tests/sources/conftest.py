from collections.abc import Iterator

import pytest

from readiness.probes.guard import AddressPolicy, AllowRule
from readiness.sources import guard_judge

from .gitserver import GitHTTPServer, SilentServer


@pytest.fixture
def served(tmp_path) -> Iterator[GitHTTPServer]:
    """A git HTTP server on 127.0.0.1 over an empty folder; tests add repositories with make_repo."""
    server = GitHTTPServer(root=tmp_path / "served").start()
    (tmp_path / "served").mkdir()
    yield server
    server.stop()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()


def loopback_options(port: int) -> dict:
    """What an administrator configures to let fetches reach a git server on 127.0.0.1:<port>.

    Plain http for that host and port, and an allow rule for the loopback address in the guard's
    policy. The defaults (https only, private addresses refused) stay untouched.
    """
    policy = AddressPolicy(allow=[AllowRule("127.0.0.1", port=port, reason="tests")])
    return {"allow_http_hosts": [f"127.0.0.1:{port}"], "judge_host": guard_judge(policy)}
