"""Real receivers on 127.0.0.1 standing in for Slack, Teams, Discord, Mattermost and a webhook
(plain http, or https with a test CA under the vendor's host name), reached through the SSRF guard
with an allowed-network rule; a real SMTP server (aiosmtpd) for e-mail."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from readiness.alerts import transport
from readiness.core.models import AllowedNetwork
from tests.factories import MembershipFactory, RepositoryFactory, TeamFactory
from tests.probes.conftest import Certificates, fake_resolver
from tests.reports.conftest import smtp_server, smtp_server_later  # noqa: F401

SLACK_HOST = "hooks.slack.com"
TEAMS_HOST = "prod-01.westus.logic.azure.com"
DISCORD_HOST = "discord.com"


class Recorder(ThreadingHTTPServer):
    """Records every request (method, path, headers, body); answers from ``answers`` (status, body),
    the last one repeating."""

    daemon_threads = True

    def __init__(self, ssl_context: ssl.SSLContext | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        if ssl_context is not None:
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True)
        self.requests: list[dict] = []
        self.answers: list[tuple[int, bytes]] = [(200, b"ok")]
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self) -> tuple[int, bytes]:
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def json(self, index: int = -1) -> dict:
        return json.loads(self.requests[index]["body"])


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with self.server.lock:
            self.server.requests.append(
                {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body}
            )
        status, answer = self.server.answer()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def start_recorder():
    servers = []

    def start(ssl_context=None) -> Recorder:
        server = Recorder(ssl_context)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(start_recorder) -> Recorder:
    return start_recorder()


@pytest.fixture
def allow_local(db):
    """The administrators' rule that lets alerts reach 127.0.0.1 (as an internal Mattermost would)."""
    return AllowedNetwork.objects.create(target="127.0.0.1", reason="test receivers", added_by="tests")


@pytest.fixture(scope="session")
def vendor_certificates(tmp_path_factory):
    return {
        host: Certificates(tmp_path_factory.mktemp(host.replace(".", "-")), host)
        for host in (SLACK_HOST, TEAMS_HOST, DISCORD_HOST)
    }


@pytest.fixture
def vendors(start_recorder, vendor_certificates, monkeypatch, allow_local):
    """https receivers answering as hooks.slack.com, the Teams workflow host and discord.com:
    names resolve to 127.0.0.1 (which the allow rule opens), each name's port is its receiver's,
    and TLS is verified against the test CA under the vendor's host name."""
    client = ssl.create_default_context()
    servers = {}
    for host, certificates in vendor_certificates.items():
        servers[host] = start_recorder(certificates.server_context([]))
        client.load_verify_locations(cafile=str(certificates.ca_file))
    monkeypatch.setattr(transport, "resolver", fake_resolver({h: ["127.0.0.1"] for h in servers}))
    monkeypatch.setattr(transport, "ssl_context", client)
    monkeypatch.setattr(transport, "port_override", {h: s.port for h, s in servers.items()})
    return servers


@pytest.fixture
def team_setup(db):
    team = TeamFactory(slug="ops", name="Ops")
    lead = MembershipFactory(team=team, role="lead").user
    repository = RepositoryFactory(team=team, name="payments", slug="payments")
    return team, lead, repository
