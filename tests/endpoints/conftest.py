"""A real HTTP server on 127.0.0.1 (threads), allowed through an AllowedNetwork row on its port."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        server = self.server
        server.seen.append({"path": self.path, "headers": dict(self.headers)})
        status, body, delay, headers = server.routes.get(self.path, (404, {"error": "no route"}, 0, {}))
        if delay:
            time.sleep(delay)
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = dict(headers)
        self._server_header = headers.pop("Server", "test-server")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the prober gave up (timeout test)

    def version_string(self):  # the Server header: the route's, not "BaseHTTP/0.6 Python/3.x"
        return self._server_header

    def log_message(self, *args):
        pass


class LocalServer:
    def __init__(self, httpd):
        self.httpd = httpd
        self.port = httpd.server_address[1]

    def route(self, path, status=200, body=None, delay=0.0, headers=None):
        self.httpd.routes[path] = (status, {"status": "ok"} if body is None else body, delay, headers or {})

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def seen(self):
        return self.httpd.seen


@pytest.fixture
def local_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes, httpd.seen = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield LocalServer(httpd)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def allowed_server(db, local_server):
    """The local server, reachable: an administrator allowed 127.0.0.1 on its port only."""
    from readiness.core.models import AllowedNetwork

    AllowedNetwork.objects.create(
        target="127.0.0.1", port=local_server.port, reason="test server", added_by="tests"
    )
    return local_server


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    """Rate-limit counters live in the shared test Redis: keep other runs' "probe now" counts apart."""
    import uuid

    settings.RATE_LIMIT_KEY_PREFIX = f"test-endpoints-{uuid.uuid4().hex}"
