"""Real local servers and a connection spy for the probe tests. Nothing leaves 127.0.0.0/8."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HEALTHY = {"status": "ok", "version": "1.4.2", "database": {"status": "ok"}, "redis": "ok"}
BIG_BODY_SIZE = 1024 * 1024
_REAL_GETADDRINFO = socket.getaddrinfo


class Handler(BaseHTTPRequestHandler):
    """Routes: /ok, /echo, /slow, /drip, /status/<code>, /big, /text, /redirect?to=<url>."""

    server: LocalServer

    def do_GET(self) -> None:
        self.server.record(self)
        path = urlsplit(self.path).path
        # The client may stop reading (body cap, timeout): expected, not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(path)

    def _route(self, path: str) -> None:
        if path == "/ok":
            self._json(200, HEALTHY, {"X-Powered-By": "Express", "X-Content-Type-Options": "nosniff"})
        elif path == "/echo":
            self._json(200, {"headers": dict(self.headers.items()), "path": self.path})
        elif path == "/slow":
            time.sleep(1.0)
            self._json(200, HEALTHY)
        elif path == "/drip":
            self.send_response(200)
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif path.startswith("/status/"):
            self._json(int(path.rsplit("/", 1)[1]), {"status": "error"})
        elif path == "/big":
            self._send(200, b"x" * BIG_BODY_SIZE, "application/octet-stream")
        elif path == "/text":
            self._send(200, b"all good", "text/plain")
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(urlsplit(self.path).query)["to"][0])
            self.end_headers()
        else:
            self._send(404, b"not found", "text/plain")

    def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a batch opens ~100 connections at once; the default is 5

    def __init__(self, host: str, port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        if ssl_context is not None:
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True)
        self.requests: list[dict] = []
        self._lock = threading.Lock()

    @property
    def host(self) -> str:
        return self.server_address[0]

    @property
    def port(self) -> int:
        return self.server_address[1]

    def record(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append({"path": handler.path, "headers": dict(handler.headers.items())})

    def url(self, path: str = "/", host: str | None = None, scheme: str = "http") -> str:
        return f"{scheme}://{host or self.host}:{self.port}{path}"


@pytest.fixture
def start_server() -> Iterator[Callable[..., LocalServer]]:
    servers: list[LocalServer] = []

    def start(
        host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> LocalServer:
        server = LocalServer(host, port, ssl_context)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(start_server) -> LocalServer:
    return start_server()


@pytest.fixture
def connect_spy(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection attempted by any socket (sync or asyncio), as (ip, port)."""
    attempts: list[tuple[str, int]] = []
    real_connect = socket.socket.connect

    def spying_connect(sock, address):
        attempts.append((address[0], address[1]))
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spying_connect)
    return attempts


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def fake_resolver(answers: dict[str, list[str] | list[list[str]]], calls: list[str] | None = None):
    """A getaddrinfo stand-in. A list of lists answers differently on each call (for rebinding).

    Hosts it does not know go to the real getaddrinfo (IP literals resolve without a network).
    """
    counters: dict[str, int] = {}

    def resolve(host, port, family=0, type=0, proto=0, flags=0):
        if host not in answers:
            return _REAL_GETADDRINFO(host, port, family, type, proto, flags)
        if calls is not None:
            calls.append(host)
        answer = answers[host]
        if answer and isinstance(answer[0], list):
            index = counters.get(host, 0)
            counters[host] = index + 1
            answer = answer[min(index, len(answer) - 1)]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [_addrinfo(address, port) for address in answer]

    return resolve


def _addrinfo(address: str, port: int) -> tuple:
    if ipaddress.ip_address(address).version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


class Certificates:
    """A private CA and a server certificate it signed, valid 30 days, for one host name."""

    def __init__(self, directory, hostname: str) -> None:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Readiness test CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=60))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30, hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_file = directory / "server.pem"
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_file = directory / "server.key"
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self, seen_sni: list[str | None]) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        context.sni_callback = lambda _sock, name, _ctx: seen_sni.append(name)
        return context


@pytest.fixture(scope="session")
def certificates(tmp_path_factory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("tls"), "probe.test")
