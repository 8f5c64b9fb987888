"""The guarded client against real local servers, with every TCP connection attempt recorded."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from urllib.parse import quote

import pytest

from readiness.probes.client import MAX_REDIRECTS, ProbeError, guarded_get, guarded_get_async
from readiness.probes.guard import AddressPolicy, AllowRule, BlockedAddress

from .conftest import BIG_BODY_SIZE, HEALTHY, fake_resolver, free_port
from .hostile_urls import ALLOWED_PORT_POLICY, HOSTILE_URLS


def get(mode: str, url: str, **kwargs):
    """Call the sync or the async client with the same arguments."""
    kwargs.setdefault("timeout", 2.0)
    if mode == "sync":
        return guarded_get(url, **kwargs)
    return asyncio.run(guarded_get_async(url, **kwargs))


def allow(*servers, extra: list[AllowRule] | None = None) -> AddressPolicy:
    """A policy that opens exactly these servers' address and port."""
    return AddressPolicy(
        allow=[AllowRule(s.host, s.port, "test server", "tests") for s in servers] + (extra or [])
    )


MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_refused_before_any_connection(mode, url, connect_spy):
    with pytest.raises(BlockedAddress):
        get(mode, url, policy=ALLOWED_PORT_POLICY)
    assert connect_spy == []


@pytest.mark.parametrize("mode", MODES)
def test_the_local_server_is_reached_only_through_an_allow_rule(mode, server, connect_spy):
    with pytest.raises(BlockedAddress, match="loopback"):
        get(mode, server.url("/ok"), policy=AddressPolicy())
    assert connect_spy == []
    assert server.requests == []

    response = get(mode, server.url("/ok"), policy=allow(server))
    assert response.status_code == 200
    assert json.loads(response.body) == HEALTHY
    assert response.peer_address == "127.0.0.1"
    assert response.final_url == server.url("/ok")
    assert response.tls is None
    assert response.latency_ms > 0
    assert connect_spy == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("mode", MODES)
def test_the_request_keeps_the_host_name_and_forces_identity_encoding(mode, server):
    resolver = fake_resolver({"status.internal": ["127.0.0.1"]})
    response = get(
        mode,
        f"http://status.internal:{server.port}/echo?x=1",
        policy=allow(server),
        resolver=resolver,
        headers={"Authorization": "Bearer t0ken", "Host": "evil.example", "Accept-Encoding": "gzip"},
    )
    sent = {name.lower(): value for name, value in json.loads(response.body)["headers"].items()}
    assert sent["host"] == f"status.internal:{server.port}"
    assert sent["accept-encoding"] == "identity"
    assert sent["authorization"] == "Bearer t0ken"
    assert sent["user-agent"].startswith("Readiness-Probe/")
    assert json.loads(response.body)["path"] == "/echo?x=1"


@pytest.mark.parametrize("mode", MODES)
def test_redirects_to_hostile_targets_are_refused(mode, start_server, connect_spy):
    server = start_server()
    other = start_server()  # real, listening, and not allowed
    targets = [
        "http://169.254.169.254/latest/meta-data/",
        other.url("/ok"),
        other.url("/ok", host="0x7f000001"),
        f"http://[::ffff:127.0.0.1]:{other.port}/ok",
        f"http://localhost:{other.port}/ok",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/_",
        f"http://user@127.0.0.1:{server.port}/ok",  # allowed address, refused form
    ]
    for target in targets:
        connect_spy.clear()
        with pytest.raises(BlockedAddress):
            get(mode, server.url(f"/redirect?to={quote(target, safe='')}"), policy=allow(server))
        assert connect_spy == [("127.0.0.1", server.port)], target
    assert other.requests == []
    assert len(server.requests) == len(targets)


@pytest.mark.parametrize("mode", MODES)
def test_redirects_are_followed_up_to_the_limit(mode, server):
    def chain(hops: int) -> str:
        url = server.url("/ok")
        for _ in range(hops):
            url = server.url(f"/redirect?to={quote(url, safe='')}")
        return url

    response = get(mode, chain(MAX_REDIRECTS), policy=allow(server))
    assert (response.status_code, response.redirects, response.final_url) == (
        200,
        MAX_REDIRECTS,
        server.url("/ok"),
    )

    with pytest.raises(ProbeError, match=f"gave up after {MAX_REDIRECTS} redirects") as caught:
        get(mode, chain(MAX_REDIRECTS + 1), policy=allow(server))
    assert caught.value.kind == "status"


@pytest.mark.parametrize("mode", MODES)
def test_relative_redirects_and_headers_across_origins(mode, start_server):
    first, second = start_server(), start_server()
    policy = allow(first, second)
    headers = {"Authorization": "Bearer t0ken"}

    same_origin = get(mode, first.url("/redirect?to=/echo"), policy=policy, headers=headers)
    assert same_origin.final_url == first.url("/echo")
    assert "Bearer t0ken" in json.loads(same_origin.body)["headers"].values()

    elsewhere = quote(second.url("/echo"), safe="")
    cross_origin = get(mode, first.url(f"/redirect?to={elsewhere}"), policy=policy, headers=headers)
    assert cross_origin.final_url == second.url("/echo")
    assert "Bearer t0ken" not in json.loads(cross_origin.body)["headers"].values()


@pytest.mark.parametrize("mode", MODES)
def test_dns_rebinding_cannot_switch_the_connection(mode, start_server, connect_spy, monkeypatch):
    """The resolver answers 127.0.0.2 (allowed), then 127.0.0.3. Only the judged one is used.

    The rebinding resolver also replaces socket.getaddrinfo, so a client that looked the name up
    a second time (as httpx does when handed a host name) would be sent to 127.0.0.3.
    """
    judged = start_server("127.0.0.2")
    rebound = start_server("127.0.0.3", judged.port)
    calls: list[str] = []
    resolver = fake_resolver({"rebind.test": [["127.0.0.2"], ["127.0.0.3"]]}, calls)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    response = get(mode, f"http://rebind.test:{judged.port}/ok", policy=allow(judged), resolver=resolver)

    assert response.status_code == 200
    assert response.peer_address == "127.0.0.2"
    assert calls == ["rebind.test"]
    assert connect_spy == [("127.0.0.2", judged.port)]
    assert len(judged.requests) == 1
    assert rebound.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_the_next_address_is_tried_when_one_refuses_the_connection(mode, server, connect_spy):
    resolver = fake_resolver({"two.internal": ["127.0.0.4", "127.0.0.1"]})
    policy = AddressPolicy(allow=[AllowRule("127.0.0.0/8", server.port)])
    response = get(mode, f"http://two.internal:{server.port}/ok", policy=policy, resolver=resolver)
    assert response.peer_address == "127.0.0.1"
    assert connect_spy == [("127.0.0.4", server.port), ("127.0.0.1", server.port)]


@pytest.mark.parametrize("mode", MODES)
def test_tls_uses_the_host_name_for_sni_and_verification(mode, start_server, certificates, connect_spy):
    seen_sni: list[str | None] = []
    server = start_server(ssl_context=certificates.server_context(seen_sni))
    resolver = fake_resolver({"probe.test": ["127.0.0.1"]})

    response = get(
        mode,
        f"https://probe.test:{server.port}/echo",
        policy=allow(server),
        resolver=resolver,
        ssl_context=certificates.client_context(),
    )

    assert response.status_code == 200
    assert response.tls is not None
    assert response.tls.verified is True
    assert response.tls.days_left == 30
    assert seen_sni == ["probe.test"]
    assert json.loads(response.body)["headers"]["Host"] == f"probe.test:{server.port}"
    assert connect_spy == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("mode", MODES)
def test_a_certificate_for_another_name_is_a_tls_error(mode, start_server, certificates):
    server = start_server(ssl_context=certificates.server_context([]))
    resolver = fake_resolver({"wrong.test": ["127.0.0.1"]})
    with pytest.raises(ProbeError, match=r"(?i)hostname mismatch") as caught:
        get(
            mode,
            f"https://wrong.test:{server.port}/ok",
            policy=allow(server),
            resolver=resolver,
            ssl_context=certificates.client_context(),
        )
    assert caught.value.kind == "tls"


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_certificate_authority_is_a_tls_error(mode, start_server, certificates):
    server = start_server(ssl_context=certificates.server_context([]))
    resolver = fake_resolver({"probe.test": ["127.0.0.1"]})
    with pytest.raises(ProbeError, match=r"(?i)certificate") as caught:
        get(mode, f"https://probe.test:{server.port}/ok", policy=allow(server), resolver=resolver)
    assert caught.value.kind == "tls"


@pytest.mark.parametrize("mode", MODES)
def test_the_body_is_read_up_to_the_cap(mode, server):
    response = get(mode, server.url("/big"), policy=allow(server))
    assert BIG_BODY_SIZE > 65536
    assert len(response.body) == 65536
    assert response.body_truncated is True

    small = get(mode, server.url("/big"), policy=allow(server), max_body=10)
    assert (small.body, small.body_truncated) == (b"x" * 10, True)

    exact = get(mode, server.url("/text"), policy=allow(server), max_body=len(b"all good"))
    assert (exact.body, exact.body_truncated) == (b"all good", False)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_a_slow_answer_times_out(mode, path, server):
    with pytest.raises(ProbeError) as caught:
        get(mode, server.url(path), policy=allow(server), timeout=0.3)
    assert caught.value.kind == "timeout"


@pytest.mark.parametrize("mode", MODES)
def test_a_closed_port_is_a_connect_error(mode):
    port = free_port()
    with pytest.raises(
        ProbeError, match=f"could not connect to 127.0.0.1 \\(127.0.0.1\\) port {port}"
    ) as caught:
        get(mode, f"http://127.0.0.1:{port}/", policy=AddressPolicy(allow=[AllowRule("127.0.0.1", port)]))
    assert caught.value.kind == "connect"


@pytest.mark.parametrize("mode", MODES)
def test_a_name_that_does_not_resolve_is_a_dns_error(mode, connect_spy):
    with pytest.raises(ProbeError, match=r"could not resolve gone\.example\.com") as caught:
        get(
            mode,
            "http://gone.example.com/",
            policy=AddressPolicy(),
            resolver=fake_resolver({"gone.example.com": []}),
        )
    assert caught.value.kind == "dns"
    assert connect_spy == []


@pytest.mark.parametrize("mode", MODES)
def test_a_resolver_that_hangs_is_a_dns_timeout(mode, connect_spy):
    def hanging_resolver(host, port, **kwargs):
        time.sleep(1.0)
        return fake_resolver({host: ["93.184.215.14"]})(host, port)

    with pytest.raises(ProbeError, match=r"resolving slow\.example\.com took longer than 0\.2 s") as caught:
        get(mode, "http://slow.example.com/", policy=AddressPolicy(), resolver=hanging_resolver, timeout=0.2)
    assert caught.value.kind == "dns"
    assert connect_spy == []


@pytest.mark.parametrize("mode", MODES)
def test_proxy_settings_in_the_environment_are_ignored(mode, server, connect_spy, monkeypatch):
    # A proxy would connect on our behalf to an address we never judged.
    proxy_port = free_port()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy_port}")
    response = get(mode, server.url("/ok"), policy=allow(server))
    assert response.status_code == 200
    assert connect_spy == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("mode", MODES)
def test_an_allowed_ipv6_literal_is_reached(mode, start_server, connect_spy):
    server = start_server("::1")
    response = get(mode, f"http://[::1]:{server.port}/echo", policy=allow(server))
    assert response.peer_address == "::1"
    assert json.loads(response.body)["headers"]["Host"] == f"[::1]:{server.port}"
    assert connect_spy == [("::1", server.port)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("timeout", "max_body"), [(0, 10), (-1, 10), (1, -1)])
def test_limits_are_checked(mode, timeout, max_body):
    with pytest.raises(ValueError):
        get(mode, "http://example.com/", policy=AddressPolicy(), timeout=timeout, max_body=max_body)
