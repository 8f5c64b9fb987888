"""The guarded HTTP client: every outbound request of the product goes through here.

For each hop: judge the URL (``guard.judge_url``: scheme, form, every resolved address), then
connect to the judged IP itself, never to the name, so DNS cannot answer differently the second
time (rebinding). The request keeps the original ``Host`` header, and TLS sends the host name as
SNI and verifies the certificate against it (httpx's ``sni_hostname`` request extension).

We drive httpx's transport directly rather than ``httpx.Client``: no proxy from the environment
(a proxy would connect, on our behalf, to an address we never judged), no cookie jar shared
between hops, no automatic redirects. Redirects are followed here, so each hop is judged again.
Bodies are read raw (we ask for ``identity``, so nothing is decompressed), up to ``max_body``.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import httpx

from readiness import __version__

from .guard import AddressPolicy, IPAddress, JudgedURL, Resolver, UnresolvableHost, judge_url

DEFAULT_MAX_BODY = 64 * 1024
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"Readiness-Probe/{__version__}"
# Headers we always set ourselves: the Host must name the judged URL's host, and "identity"
# keeps a small compressed body from inflating past the cap.
_FORCED_HEADERS = ("host", "accept-encoding")
# One connection per request and no keep-alive: the pool is keyed by IP, and a connection
# verified for one host name must never carry a request for another name on the same IP.
_LIMITS = httpx.Limits(max_connections=1, max_keepalive_connections=0)
# getaddrinfo blocks and takes no timeout, so it runs on these threads and we wait with one.
# Their own pool, larger than asyncio's default (CPUs + 4): in a batch, a few slow names must
# not queue the other lookups past their deadlines.
_DNS_POOL = ThreadPoolExecutor(max_workers=64, thread_name_prefix="readiness-dns")


class ProbeError(Exception):
    """A request that got no usable answer. ``kind``: dns, connect, tls, timeout or status."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class TlsInfo:
    verified: bool  # the chain and the host name were verified during the handshake
    not_after: datetime | None
    days_left: int | None


@dataclass(frozen=True)
class ProbeResponse:
    status_code: int
    headers: httpx.Headers
    body: bytes  # at most max_body bytes
    body_truncated: bool
    latency_ms: float  # network time of every hop: connect, TLS, request, answer and body read
    final_url: str
    peer_address: str  # the IP the final hop connected to
    redirects: int
    tls: TlsInfo | None  # of the final hop, for https


@cache
def default_ssl_context() -> ssl.SSLContext:
    """Built once: loading the CA bundle costs milliseconds, too much for every probe."""
    return httpx.create_ssl_context()


def guarded_get(
    url: str,
    *,
    policy: AddressPolicy,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResponse:
    """GET ``url`` through the guard; ``timeout`` (seconds) bounds the lookups and every hop.

    Raises ``BlockedAddress`` when the guard refuses a hop, ``ProbeError`` when there is no
    usable answer. Each network operation gets the time left, so a server dripping bytes can
    hold a call up to about twice ``timeout``; the async variant enforces it exactly.
    """
    _check_limits(timeout, max_body)
    context = ssl_context or default_ssl_context()
    hops = _Hops(url, headers)
    with httpx.HTTPTransport(verify=context, limits=_LIMITS) as transport:
        deadline = time.monotonic() + timeout
        while True:
            future = _DNS_POOL.submit(_judge, hops.url, policy, resolver)
            try:
                target = future.result(timeout=_remaining(deadline, timeout))
            except FutureTimeout:
                raise ProbeError("dns", f"resolving {hops.host} took longer than {timeout:g} s") from None
            hop = _send(transport, target, hops.headers, deadline, timeout, max_body, context)
            if hops.follow(hop, target):
                return hops.response(hop, target)


def guarded_request(
    method: str,
    url: str,
    *,
    policy: AddressPolicy,
    timeout: float,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResponse:
    """One request of any method through the guard (a webhook's POST, say): judged and connected
    to the judged address like ``guarded_get``, but redirects are not followed (a 3xx is the
    answer: a notification is not re-sent to wherever a server points)."""
    _check_limits(timeout, max_body)
    context = ssl_context or default_ssl_context()
    hops = _Hops(url, headers)
    with httpx.HTTPTransport(verify=context, limits=_LIMITS) as transport:
        deadline = time.monotonic() + timeout
        future = _DNS_POOL.submit(_judge, hops.url, policy, resolver)
        try:
            target = future.result(timeout=_remaining(deadline, timeout))
        except FutureTimeout:
            raise ProbeError("dns", f"resolving {hops.host} took longer than {timeout:g} s") from None
        hop = _send(transport, target, hops.headers, deadline, timeout, max_body, context, method, content)
        hops.elapsed_s += hop.elapsed_s
        return hops.response(hop, target)


async def guarded_get_async(
    url: str,
    *,
    policy: AddressPolicy,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    resolver: Resolver = socket.getaddrinfo,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResponse:
    """The async ``guarded_get``: same checks and errors; ``timeout`` is a hard total deadline."""
    _check_limits(timeout, max_body)
    context = ssl_context or default_ssl_context()
    hops = _Hops(url, headers)
    loop = asyncio.get_running_loop()
    resolving = False
    try:
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncHTTPTransport(verify=context, limits=_LIMITS) as transport,
        ):
            while True:
                resolving = True
                target = await loop.run_in_executor(_DNS_POOL, _judge, hops.url, policy, resolver)
                resolving = False
                hop = await _send_async(transport, target, hops.headers, timeout, max_body, context)
                if hops.follow(hop, target):
                    return hops.response(hop, target)
    except TimeoutError:
        if resolving:
            raise ProbeError("dns", f"resolving {hops.host} took longer than {timeout:g} s") from None
        raise ProbeError("timeout", f"no complete answer from {hops.host} within {timeout:g} s") from None


class _CappedBody:
    """Collects chunks until more than ``limit`` bytes arrived; the rest is never read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    def add(self, chunk: bytes) -> bool:
        """True once over the limit: stop reading."""
        self.data += chunk
        return self.truncated

    @property
    def truncated(self) -> bool:
        return len(self.data) > self.limit

    def bytes(self) -> bytes:
        return bytes(self.data[: self.limit])


@dataclass
class _Hop:
    response: httpx.Response  # closed; status and headers are still there
    body: _CappedBody
    elapsed_s: float
    address: IPAddress
    tls: TlsInfo | None


class _Hops:
    """The redirect chain: which URL comes next, with which headers, and when to stop."""

    def __init__(self, url: str, headers: Mapping[str, str] | None) -> None:
        self.url: str | httpx.URL = url
        self.headers = dict(headers or {})
        self.redirects = 0
        self.elapsed_s = 0.0

    @property
    def host(self) -> str:
        """The current hop's host, for messages."""
        try:
            return httpx.URL(self.url).host or str(self.url)
        except httpx.InvalidURL:
            return str(self.url)

    def follow(self, hop: _Hop, target: JudgedURL) -> bool:
        """Add up the hop; prepare the next one. True when ``hop`` is the final answer."""
        self.elapsed_s += hop.elapsed_s
        location = hop.response.headers.get("location")
        if hop.response.status_code not in REDIRECT_STATUSES or not location:
            return True
        if self.redirects == MAX_REDIRECTS:
            raise ProbeError("status", f"gave up after {MAX_REDIRECTS} redirects (the last to {location})")
        try:
            # Resolved against the URL with the host name, not the IP we connected to.
            next_url = target.url.join(location)
        except httpx.InvalidURL:
            next_url = location  # judge_url refuses it with a readable reason
        if not isinstance(next_url, httpx.URL) or _origin(next_url) != _origin(target.url):
            self.headers = {}  # credentials given for one origin must not travel to another
        self.url = next_url
        self.redirects += 1
        return False

    def response(self, hop: _Hop, target: JudgedURL) -> ProbeResponse:
        return ProbeResponse(
            status_code=hop.response.status_code,
            headers=hop.response.headers,
            body=hop.body.bytes(),
            body_truncated=hop.body.truncated,
            latency_ms=round(self.elapsed_s * 1000, 2),
            final_url=str(target.url),
            peer_address=str(hop.address),
            redirects=self.redirects,
            tls=hop.tls,
        )


def _judge(url: str | httpx.URL, policy: AddressPolicy, resolver: Resolver) -> JudgedURL:
    try:
        return judge_url(url, policy, resolver)
    except UnresolvableHost as exc:
        raise ProbeError("dns", str(exc)) from None


def _send(
    transport: httpx.HTTPTransport,
    target: JudgedURL,
    headers: Mapping[str, str],
    deadline: float,
    timeout: float,
    max_body: int,
    context: ssl.SSLContext,
    method: str = "GET",
    content: bytes | None = None,
) -> _Hop:
    for address in target.addresses:
        request = _request(target, address, headers, _remaining(deadline, timeout), method, content)
        started = time.perf_counter()
        try:
            response = transport.handle_request(request)
            try:
                tls = _tls_info(response, context)
                body = _CappedBody(max_body)
                for chunk in response.iter_raw():
                    if body.add(chunk):
                        break
                    _remaining(deadline, timeout)
            finally:
                response.close()
        except httpx.TransportError as exc:
            if _try_next_address(exc, address, target):
                continue
            raise _probe_error(exc, target, address) from None
        return _Hop(response, body, time.perf_counter() - started, address, tls)
    raise AssertionError("judge_url returns at least one address")


async def _send_async(
    transport: httpx.AsyncHTTPTransport,
    target: JudgedURL,
    headers: Mapping[str, str],
    timeout: float,
    max_body: int,
    context: ssl.SSLContext,
) -> _Hop:
    for address in target.addresses:
        request = _request(target, address, headers, timeout)
        started = time.perf_counter()
        try:
            response = await transport.handle_async_request(request)
            try:
                tls = _tls_info(response, context)
                body = _CappedBody(max_body)
                async for chunk in response.aiter_raw():
                    if body.add(chunk):
                        break
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            if _try_next_address(exc, address, target):
                continue
            raise _probe_error(exc, target, address) from None
        return _Hop(response, body, time.perf_counter() - started, address, tls)
    raise AssertionError("judge_url returns at least one address")


def _request(
    target: JudgedURL,
    address: IPAddress,
    headers: Mapping[str, str],
    timeout: float,
    method: str = "GET",
    content: bytes | None = None,
) -> httpx.Request:
    request_headers = httpx.Headers({"User-Agent": USER_AGENT, "Accept": "*/*"})
    for name, value in headers.items():
        if name.lower() not in _FORCED_HEADERS:
            request_headers[name] = value
    request_headers["Host"] = target.url.netloc.decode("ascii")
    request_headers["Accept-Encoding"] = "identity"
    return httpx.Request(
        method,
        target.url.copy_with(host=str(address)),  # the judged IP: no second lookup
        headers=request_headers,
        content=content,
        extensions={"timeout": httpx.Timeout(timeout).as_dict(), "sni_hostname": target.host},
    )


def _try_next_address(exc: httpx.TransportError, address: IPAddress, target: JudgedURL) -> bool:
    """A host with several addresses may be unreachable on one (IPv6 without a route): try the next."""
    connect_failed = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) and not _ssl_cause(exc)
    return connect_failed and address != target.addresses[-1]


def _probe_error(exc: httpx.TransportError, target: JudgedURL, address: IPAddress) -> ProbeError:
    where = f"{target.host} ({address}) port {target.port}"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        step = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
        return ProbeError("timeout", f"timed out {step} {where}")
    ssl_error = _ssl_cause(exc)
    if ssl_error is not None:
        reason = getattr(ssl_error, "verify_message", None) or ssl_error.reason or detail
        return ProbeError("tls", f"TLS with {where} failed: {reason}")
    if isinstance(exc, httpx.ConnectError):
        return ProbeError("connect", f"could not connect to {where}: {detail}")
    return ProbeError("connect", f"the connection to {where} failed: {detail}")


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_info(response: httpx.Response, context: ssl.SSLContext) -> TlsInfo | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    verified = context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    # getpeercert() is empty when the context does not verify, so only verified certificates
    # report an expiry.
    not_after_text = (ssl_object.getpeercert() or {}).get("notAfter")
    if not not_after_text:
        return TlsInfo(verified=verified, not_after=None, days_left=None)
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after_text), UTC)
    return TlsInfo(verified=verified, not_after=not_after, days_left=(not_after - datetime.now(UTC)).days)


def _check_limits(timeout: float, max_body: int) -> None:
    if not timeout > 0:
        raise ValueError("timeout must be a positive number of seconds")
    if max_body < 0:
        raise ValueError("max_body must not be negative")


def _remaining(deadline: float, timeout: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ProbeError("timeout", f"no complete answer within {timeout:g} s")
    return left


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port
