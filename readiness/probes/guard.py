"""The SSRF guard: decides which addresses an outbound request may connect to.

A URL is judged by the addresses its host resolves to, not by its text: ``127.1``,
``2130706433`` and ``0x7f000001`` all reach 127.0.0.1, so we ask the resolver (as the OS would)
and judge every address it returns. The client then connects to a judged address, never to the
name, so a second lookup cannot switch the target (DNS rebinding).

No Django here: the web app builds an ``AddressPolicy`` from its settings and rules.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., list]

ALLOWED_SCHEMES = ("http", "https")

# Refused unless an allow rule covers them. An explicit list rather than ``is_private``/``is_global``,
# whose meaning has changed between Python versions. Each range carries the words a user reads.
DENIED_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "in the 'this network' range"),
    ("10.0.0.0/8", "in a private range"),
    ("100.64.0.0/10", "in the shared carrier-grade NAT range"),
    ("127.0.0.0/8", "in the loopback range"),
    ("169.254.0.0/16", "in the link-local range"),
    ("172.16.0.0/12", "in a private range"),
    ("192.0.0.0/24", "in the IETF protocol assignments range"),
    ("192.0.2.0/24", "in a documentation range"),
    ("192.88.99.0/24", "in the 6to4 relay anycast range"),
    ("192.168.0.0/16", "in a private range"),
    ("198.18.0.0/15", "in the benchmarking range"),
    ("198.51.100.0/24", "in a documentation range"),
    ("203.0.113.0/24", "in a documentation range"),
    ("224.0.0.0/4", "in the multicast range"),
    ("240.0.0.0/4", "in the reserved range"),
    ("255.255.255.255/32", "the broadcast address"),
    ("::/128", "the unspecified address"),
    ("::1/128", "the loopback address"),
    ("::/96", "in the deprecated IPv4-compatible range"),
    ("::ffff:0:0:0/96", "in the IPv4-translated range"),
    # Local-use NAT64 prefixes embed IPv4 at a position only the local network knows, so the
    # target cannot be judged: refuse the whole range.
    ("64:ff9b:1::/48", "in the local-use NAT64 range"),
    ("100::/64", "in the discard-only range"),
    ("2001::/23", "in the IETF protocol assignments range, Teredo included"),
    ("2001:db8::/32", "in a documentation range"),
    ("3fff::/20", "in a documentation range"),
    ("fc00::/7", "in the unique local range"),
    ("fe80::/10", "in the link-local range"),
    ("fec0::/10", "in the deprecated site-local range"),
    ("ff00::/8", "in the multicast range"),
)
_DENIED_NETWORKS = [(ipaddress.ip_network(cidr), label) for cidr, label in DENIED_RANGES]

# Cloud metadata services hand out credentials: always refused, whatever the allow rules say.
# AWS (v4, v6 and ECS task metadata), Alibaba, and Azure's WireServer (a public address).
CLOUD_METADATA = ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "168.63.129.16")
_METADATA_ADDRESSES = {ipaddress.ip_address(a) for a in CLOUD_METADATA}

_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_HARD_DENY_TTL_S = 60.0


class BlockedAddress(Exception):
    """The guard refuses this URL or address; ``str(exc)`` is a reason a user can read."""


class UnresolvableHost(Exception):
    """The host name has no address (or the lookup failed)."""


@dataclass(frozen=True)
class AllowRule:
    """Lets requests reach an otherwise denied address: a CIDR/IP or an exact host name."""

    target: str
    port: int | None = None
    reason: str = ""
    added_by: str = ""

    def __post_init__(self) -> None:
        _parse_target(self.target)  # fail at configuration time, not at probe time
        if self.port is not None and not 1 <= self.port <= 65535:
            raise ValueError(f"allow rule port {self.port} is out of range")

    @cached_property
    def _parsed(self) -> tuple[IPNetwork | None, str | None]:
        return _parse_target(self.target)

    def covers(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        network, name = self._parsed
        if network is not None:
            return address in network
        return name == host


@dataclass
class AddressPolicy:
    """What the guard allows.

    ``allow``: rules that open default-denied addresses (to probe internal services).
    ``hard_deny``: entries no allow rule overrides: CIDRs, addresses, host names, each with an
    optional port (``"db.internal:5432"``, ``"[fd00::5]:6379"``, ``"10.0.0.9"``). Meant for the
    product's own database, Redis and SMTP. Cloud metadata addresses (``CLOUD_METADATA``) are
    always refused in addition; they need not be listed. Entries are parsed when the policy is
    built: build a new policy to change them.
    """

    allow: list[AllowRule] = field(default_factory=list)
    hard_deny: list[str] = field(default_factory=list)
    _hard_deny_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Parsed once, so a bad entry in the settings fails at start-up.
        self._hard_deny_entries = [
            (entry, *_parse_target(target), port)
            for entry in self.hard_deny
            for target, port in [_split_port(entry)]
        ]

    def hard_denial(self, host: str, address: IPAddress, port: int, resolver: Resolver) -> str | None:
        """The hard-deny entry that matches, or None."""
        for entry, network, name, entry_port in self._hard_deny_entries:
            if entry_port is not None and entry_port != port:
                continue
            if network is not None and address in network:
                return entry
            if name is not None and (name == host or address in self._addresses_of(name, resolver)):
                return entry
        return None

    def allowing_rule(self, host: str, address: IPAddress, port: int) -> AllowRule | None:
        return next((rule for rule in self.allow if rule.covers(host, address, port)), None)

    def _addresses_of(self, name: str, resolver: Resolver) -> set[IPAddress]:
        # The product's own hosts are looked up with a short cache: a probe batch must not cost
        # one extra lookup per endpoint, and a moved database must still be found.
        now = time.monotonic()
        with self._cache_lock:
            cached = self._hard_deny_cache.get(name)
        if cached and now - cached[0] < _HARD_DENY_TTL_S:
            return cached[1]
        try:
            addresses = set(_lookup(name, 0, resolver))
        except UnresolvableHost:
            addresses = set()
        with self._cache_lock:
            self._hard_deny_cache[name] = (now, addresses)
        return addresses


@dataclass(frozen=True)
class JudgedURL:
    """A URL the guard accepted, with the addresses the client may connect to."""

    url: httpx.URL
    host: str  # normalised: lower case, ASCII (IDNA), no trailing dot, no brackets
    port: int
    addresses: list[IPAddress]


def judge_url(
    url: str | httpx.URL, policy: AddressPolicy, resolver: Resolver = socket.getaddrinfo
) -> JudgedURL:
    """Check a URL's form (http/https, no userinfo, a host, a valid port), then its addresses.

    Parsed by httpx, the parser that will send the request, so the guard and the client cannot
    disagree about which host a URL names.
    """
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BlockedAddress(f"not a valid URL: {exc}") from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise BlockedAddress(f"scheme {parsed.scheme or '(none)'!r} is not allowed; use http or https")
    if parsed.userinfo:
        raise BlockedAddress("URLs with a user name or password (user@host) are not allowed")
    if not parsed.raw_host:
        raise BlockedAddress("the URL has no host")
    port = parsed.port if parsed.port is not None else (443 if parsed.scheme == "https" else 80)
    if not 1 <= port <= 65535:
        raise BlockedAddress(f"port {port} is out of range")
    host = parsed.raw_host.decode("ascii")
    return JudgedURL(parsed, normalise_host(host), port, resolve_and_judge(host, port, policy, resolver))


def resolve_and_judge(
    host: str, port: int, policy: AddressPolicy, resolver: Resolver = socket.getaddrinfo
) -> list[IPAddress]:
    """Resolve ``host`` once and return its addresses if every one of them is allowed.

    One denied address denies the whole host: we could not promise which one a later
    connection would use, and a mix of public and private answers is a classic rebinding setup.
    """
    host = normalise_host(host)
    if not 1 <= port <= 65535:
        raise BlockedAddress(f"port {port} is out of range")
    addresses = _lookup(host, port, resolver)
    for address in addresses:
        reason = judge_address(host, address, port, policy, resolver)
        if reason:
            raise BlockedAddress(reason)
    return addresses


def judge_address(
    host: str, address: IPAddress, port: int, policy: AddressPolicy, resolver: Resolver = socket.getaddrinfo
) -> str | None:
    """Why ``address`` may not be reached for ``host:port``, or None when it may."""
    embedded = embedded_ipv4(address)
    forms = [address] if embedded is None else [address, embedded]
    for form in forms:
        if form in _METADATA_ADDRESSES:
            return f"address {_describe(address, embedded)} is a cloud metadata service; it is always refused"
        entry = policy.hard_denial(host, form, port, resolver)
        if entry:
            return (
                f"address {_describe(address, embedded)} port {port} matches the hard-deny entry "
                f"{entry!r} (one of this product's own services); no allow rule can open it"
            )
    if any(policy.allowing_rule(host, form, port) for form in forms):
        return None
    # An address that embeds IPv4 goes where that IPv4 goes: judge the embedded one.
    denied = _denied_range(embedded if embedded is not None else address)
    if denied:
        network, label = denied
        return f"address {_describe(address, embedded)} is {label} ({network}); an administrator can allow it"
    return None


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: IPv4-mapped, well-known NAT64 or 6to4."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(address.packed[-4:])
    return address.sixtofour


def normalise_host(host: str) -> str:
    """Lower-case, strip one trailing dot and IPv6 brackets; refuse anything not a plain host.

    ``localhost.`` and ``localhost`` are the same host to the resolver, so they must be the
    same host to the allow and hard-deny rules.
    """
    if not host or not host.isascii():
        raise BlockedAddress(f"host {host!r} is not a plain ASCII host name or address")
    if "%" in host:  # percent-encoding or an IPv6 zone id: neither names a host we probe
        raise BlockedAddress(f"host {host!r} is not a plain host name or address")
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise BlockedAddress(f"host {host!r} is not a valid IPv6 address") from None
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise BlockedAddress(f"host {host!r} is not a valid host name")
    return host


def _lookup(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        answers = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableHost(f"could not resolve {host}: {exc}") from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canon, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        # Scope ids ("fe80::1%eth0") are dropped: the address is judged, and connected to, bare.
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableHost(f"could not resolve {host}: no IPv4 or IPv6 address")
    return addresses


def _denied_range(address: IPAddress) -> tuple[IPNetwork, str] | None:
    matches = [(net, label) for net, label in _DENIED_NETWORKS if address in net]
    # The most specific range names the address best (255.255.255.255 is "broadcast", not "reserved").
    return max(matches, key=lambda match: match[0].prefixlen, default=None)


def _describe(address: IPAddress, embedded: ipaddress.IPv4Address | None) -> str:
    return str(address) if embedded is None else f"{address} (which embeds {embedded})"


def _split_port(entry: str) -> tuple[str, int | None]:
    """``"db:5432"`` -> ("db", 5432); ``"[::1]:6379"`` -> ("::1", 6379); bare IPv6 keeps its colons."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, _port_number(rest[1:], entry) if rest.startswith(":") else None
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, _port_number(port, entry)
    return entry, None


def _port_number(text: str, entry: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{entry!r} has an invalid port")
    return int(text)


def _parse_target(target: str) -> tuple[IPNetwork | None, str | None]:
    """A rule target is a CIDR/IP (network) or an exact host name (name)."""
    try:
        return ipaddress.ip_network(target.strip(), strict=False), None
    except ValueError:
        pass
    try:
        socket.inet_aton(target.strip())
    except OSError:
        pass
    else:  # "127.1", "0x7f000001": an address in disguise, surely not meant as a host name
        raise ValueError(f"{target!r} is an IPv4 address in an unusual form; write it as a.b.c.d")
    try:
        return None, normalise_host(target.strip())
    except BlockedAddress:
        raise ValueError(f"{target!r} is neither a CIDR, an IP address nor a host name") from None
