"""How an alert leaves the building: every HTTP request through the SSRF guard.

Apprise (a library that speaks to 100+ services) builds the Slack, Microsoft Teams (Power Automate
workflow: an adaptive card), Discord and Mattermost requests from its URLs; it sends them with
``requests``, which would resolve the host itself (a second DNS answer can point elsewhere), honour
proxy variables and follow redirects. So the plugin modules we use get ``GuardedRequests`` in place
of their ``requests``: each request Apprise makes is judged by ``readiness.probes.guard`` (scheme,
every resolved address, the administrators' allowed networks, the hard-denied own services) and sent
by ``readiness.probes.client.guarded_request``, which connects to the judged address, never follows
redirects and reads at most 64 KiB of the answer. Outside ``guarded()`` those modules cannot reach
the network at all (the shim refuses), so no code path of Apprise goes around the guard.

The JSON webhook is our own payload, signed, sent with the same ``guarded_request``. E-mail goes
through the product's SMTP server (EMAIL_URL), as the weekly report does.

``resolver``, ``ssl_context`` and ``port_override`` exist for the tests, which stand real HTTP
receivers on 127.0.0.1 in for Slack and Teams (docs/alerts.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import socket
from dataclasses import dataclass

import requests

from readiness.probes.client import ProbeError, ProbeResponse, guarded_request
from readiness.probes.guard import AddressPolicy, BlockedAddress

SEND_TIMEOUT_S = 10.0
ANSWER_CHARS = 300
# The Apprise plugin modules whose network access goes through the guard (the kinds we offer).
APPRISE_MODULES = ("slack", "workflows", "discord", "mattermost")

# Test seams: name resolution, TLS trust, and a port to use instead of a URL's for a host name.
resolver = socket.getaddrinfo
ssl_context = None
port_override: dict[str, int] = {}


@dataclass
class Answer:
    """What the service said: the HTTP status (None when there was no answer) and the start of
    its body, or why nothing was sent."""

    ok: bool
    status: int | None = None
    text: str = ""
    retryable: bool = False

    def summary(self) -> str:
        if self.status is None:
            return self.text[:ANSWER_CHARS]
        body = self.text.strip()[:ANSWER_CHARS]
        return f"HTTP {self.status}" + (f": {body}" if body else "")


def answer_for(response: ProbeResponse) -> Answer:
    status = response.status_code
    text = response.body.decode("utf-8", errors="replace")
    ok = 200 <= status < 300
    # A refusal (bad token, removed webhook: 4xx) will not change by itself; a 5xx or 429 may.
    return Answer(
        ok=ok, status=status, text=text, retryable=not ok and (status >= 500 or status in (408, 429))
    )


def _url_for_connection(url: str) -> str:
    if not port_override:
        return url
    parts = requests.utils.urlparse(url)
    port = port_override.get(parts.hostname or "")
    if port is None:
        return url
    return parts._replace(netloc=f"{parts.hostname}:{port}").geturl()


def post(url: str, body: bytes, headers: dict[str, str], *, policy: AddressPolicy, method: str = "POST"):
    """Send one request through the guard; an ``Answer`` either way (never raises for the network)."""
    try:
        response = guarded_request(
            method,
            _url_for_connection(url),
            policy=policy,
            timeout=SEND_TIMEOUT_S,
            content=body,
            headers=headers,
            resolver=resolver,
            ssl_context=ssl_context,
        )
    except BlockedAddress as exc:
        return Answer(ok=False, text=f"Refused by the outbound guard: {exc}", retryable=False)
    except ProbeError as exc:
        return Answer(ok=False, text=f"No answer ({exc.kind}): {exc}", retryable=True)
    return answer_for(response)


# --- Apprise, guarded ---------------------------------------------------------------------------

_policy: contextvars.ContextVar[AddressPolicy | None] = contextvars.ContextVar("alert_policy", default=None)
_answers: contextvars.ContextVar[list | None] = contextvars.ContextVar("alert_answers", default=None)


class _GuardedResponse(requests.Response):
    pass


class GuardedRequests:
    """Stands in for the ``requests`` module inside Apprise's plugin modules: everything is the real
    module's except the calls that reach the network, which go through the guard."""

    def __getattr__(self, name):
        return getattr(requests, name)

    def request(self, method, url, data=None, headers=None, params=None, files=None, **_ignored):
        policy = _policy.get()
        if policy is None:
            raise requests.RequestException("alerts: Apprise may only send inside transport.guarded()")
        if files:
            raise requests.RequestException("alerts: attachments are not sent")
        if params:
            url = requests.Request(method, url, params=params).prepare().url
        body = data.encode() if isinstance(data, str) else data
        answer = post(url, body or b"", dict(headers or {}), policy=policy, method=method.upper())
        answers = _answers.get()
        if answers is not None:
            answers.append(answer)
        if answer.status is None:
            raise requests.ConnectionError(answer.text)
        response = _GuardedResponse()
        response.status_code = answer.status
        response._content = answer.text.encode()
        response.url = url
        response.encoding = "utf-8"
        return response

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)


_SHIM = GuardedRequests()


def install() -> None:
    """Give the plugin modules we use the guarded ``requests`` (idempotent)."""
    for name in APPRISE_MODULES:
        module = importlib.import_module(f"apprise.plugins.{name}")
        if not isinstance(module.requests, GuardedRequests):
            module.requests = _SHIM


@contextlib.contextmanager
def guarded(policy: AddressPolicy):
    """Inside: Apprise's requests are judged with ``policy``; yields the list of answers."""
    install()
    answers: list[Answer] = []
    policy_token, answers_token = _policy.set(policy), _answers.set(answers)
    try:
        yield answers
    finally:
        _policy.reset(policy_token)
        _answers.reset(answers_token)
