"""The guard's decisions, without any connection: URL form, address ranges, rules."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys

import pytest

from readiness.probes.guard import (
    CLOUD_METADATA,
    AddressPolicy,
    AllowRule,
    BlockedAddress,
    UnresolvableHost,
    embedded_ipv4,
    judge_url,
    normalise_host,
    resolve_and_judge,
)

from .conftest import fake_resolver
from .hostile_urls import ALLOWED_PORT, ALLOWED_PORT_POLICY, HOSTILE_URLS

PUBLIC = "93.184.215.14"
DEFAULT = AddressPolicy()


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_url_is_refused(url):
    with pytest.raises(BlockedAddress):
        judge_url(url, ALLOWED_PORT_POLICY)


def test_the_table_is_long_enough_to_mean_something():
    assert len(HOSTILE_URLS) >= 25


@pytest.mark.parametrize(
    "host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.000.000.001", "localhost."]
)
def test_numeric_spellings_are_judged_as_the_os_resolves_them(host):
    # httpx refuses "0177.0.0.1" in a URL; the guard alone still sees it as loopback.
    with pytest.raises(
        BlockedAddress, match=r"address 127\.0\.0\.1 is in the loopback range \(127\.0\.0\.0/8\)"
    ):
        resolve_and_judge(host, 80, DEFAULT)


def test_the_reason_names_the_address_and_range_and_the_way_out():
    with pytest.raises(BlockedAddress) as caught:
        judge_url("http://10.0.0.5/", DEFAULT)
    assert str(caught.value) == (
        "address 10.0.0.5 is in a private range (10.0.0.0/8); an administrator can allow it"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/health", ["127.0.0.1"]),
        ("http://127.1:8080/", ["127.0.0.1"]),
        ("http://localhost.:8080/", ["127.0.0.1"]),
    ],
)
def test_an_allow_rule_opens_exactly_its_address_and_port(url, expected):
    judged = judge_url(url, ALLOWED_PORT_POLICY)
    assert [str(a) for a in judged.addresses] == expected
    assert judged.port == ALLOWED_PORT


def test_public_addresses_pass_by_default():
    resolver = fake_resolver({"status.example.com": [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})
    judged = judge_url("https://Status.Example.com./health", DEFAULT, resolver)
    assert judged.host == "status.example.com"
    assert judged.port == 443
    assert [str(a) for a in judged.addresses] == [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]


@pytest.mark.parametrize("answer", [[PUBLIC, "10.0.0.5"], ["10.0.0.5", PUBLIC], [PUBLIC, "::1"]])
def test_one_private_address_among_public_ones_denies_the_host(answer):
    resolver = fake_resolver({"mixed.example.com": answer})
    with pytest.raises(BlockedAddress, match=r"10\.0\.0\.5|::1"):
        judge_url("http://mixed.example.com/", DEFAULT, resolver)


def test_the_host_is_resolved_once():
    calls: list[str] = []
    resolver = fake_resolver({"flip.example.com": [[PUBLIC], ["127.0.0.1"]]}, calls)
    judged = judge_url("http://flip.example.com/", DEFAULT, resolver)
    assert [str(a) for a in judged.addresses] == [PUBLIC]
    assert calls == ["flip.example.com"]


def test_a_name_that_does_not_resolve_is_unresolvable():
    with pytest.raises(UnresolvableHost, match=r"could not resolve nowhere\.example\.com"):
        judge_url("http://nowhere.example.com/", DEFAULT, fake_resolver({"nowhere.example.com": []}))


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:10.1.2.3", "10.1.2.3"),
        ("64:ff9b::a01:203", "10.1.2.3"),
        ("2002:a01:203::1", "10.1.2.3"),
        ("2606:4700::1111", None),
        ("10.1.2.3", None),
    ],
)
def test_embedded_ipv4(address, embedded):
    found = embedded_ipv4(ipaddress.ip_address(address))
    assert (str(found) if found else None) == embedded


@pytest.mark.parametrize("address", ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])
def test_addresses_embedding_a_public_ipv4_pass(address):
    assert resolve_and_judge(address, 80, DEFAULT) == [ipaddress.ip_address(address)]


@pytest.mark.parametrize(
    "address",
    [
        "0.1.2.3",
        "10.9.9.9",
        "100.127.255.255",
        "127.255.255.254",
        "169.254.1.1",
        "172.31.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "192.88.99.1",
        "192.168.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "::10.0.0.1",
        "64:ff9b:1::a00:1",
        "100::1",
        "2001::1",
        "2001:db8::1",
        "fd12:3456::1",
        "fe80::abcd",
        "fec0::1",
        "ff02::1",
        "2002:c0a8:101::1",
    ],
)
def test_every_default_denied_range(address):
    with pytest.raises(BlockedAddress, match="an administrator can allow it"):
        resolve_and_judge(address, 80, DEFAULT)


@pytest.mark.parametrize(
    "address", ["1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "198.20.0.1", "2a00:1450::1"]
)
def test_neighbours_of_denied_ranges_pass(address):
    assert resolve_and_judge(address, 80, DEFAULT) == [ipaddress.ip_address(address)]


@pytest.mark.parametrize("address", CLOUD_METADATA)
def test_metadata_is_refused_even_when_its_range_is_allowed(address):
    everything = AddressPolicy(allow=[AllowRule("0.0.0.0/0"), AllowRule("::/0")])
    with pytest.raises(BlockedAddress, match="cloud metadata service; it is always refused"):
        resolve_and_judge(address, 80, everything)


def test_hard_deny_beats_allow_on_its_port_only():
    policy = AddressPolicy(
        allow=[AllowRule("10.0.0.0/8", reason="internal services")], hard_deny=["10.0.0.9:5432"]
    )
    assert resolve_and_judge("10.0.0.9", 8080, policy) == [ipaddress.ip_address("10.0.0.9")]
    with pytest.raises(BlockedAddress, match=r"hard-deny entry '10\.0\.0\.9:5432'"):
        resolve_and_judge("10.0.0.9", 5432, policy)


def test_hard_deny_by_host_name_covers_other_names_for_the_same_address():
    resolver = fake_resolver({"db.internal": ["10.0.0.9"], "alias.internal": ["10.0.0.9"]})
    policy = AddressPolicy(allow=[AllowRule("10.0.0.0/8")], hard_deny=["db.internal:5432", "[fd00::6]:6379"])
    with pytest.raises(BlockedAddress, match=r"db\.internal:5432"):
        resolve_and_judge("alias.internal", 5432, policy, resolver)
    with pytest.raises(BlockedAddress, match=r"db\.internal:5432"):
        resolve_and_judge("DB.Internal.", 5432, policy, resolver)
    assert resolve_and_judge("alias.internal", 8000, policy, resolver) == [ipaddress.ip_address("10.0.0.9")]


def test_hard_deny_judges_the_embedded_ipv4():
    policy = AddressPolicy(allow=[AllowRule("::/0")], hard_deny=["10.0.0.9"])
    with pytest.raises(BlockedAddress, match="hard-deny"):
        resolve_and_judge("::ffff:10.0.0.9", 80, policy)


def test_an_allow_rule_by_host_name():
    resolver = fake_resolver({"status.internal": ["10.2.0.4"], "other.internal": ["10.2.0.4"]})
    policy = AddressPolicy(allow=[AllowRule("status.internal", 8443, "team status page", "alice")])
    assert resolve_and_judge("status.internal", 8443, policy, resolver) == [ipaddress.ip_address("10.2.0.4")]
    with pytest.raises(BlockedAddress):
        resolve_and_judge("other.internal", 8443, policy, resolver)
    with pytest.raises(BlockedAddress):
        resolve_and_judge("status.internal", 8080, policy, resolver)


@pytest.mark.parametrize("target", ["not a host", "10.0.0.0/33", "exa%mple"])
def test_bad_rules_fail_when_configured(target):
    with pytest.raises(ValueError):
        AllowRule(target)
    with pytest.raises(ValueError):
        AddressPolicy(hard_deny=[target])


def test_bad_hard_deny_port_fails_when_configured():
    with pytest.raises(ValueError, match="invalid port"):
        AddressPolicy(hard_deny=["db:99999"])


@pytest.mark.parametrize(
    ("host", "expected"),
    [("LocalHost.", "localhost"), ("[::1]", "::1"), ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de")],
)
def test_normalise_host(host, expected):
    assert normalise_host(host) == expected


@pytest.mark.parametrize("host", ["", "a b", "evil.com/x", "münchen.de", "-bad.com", "fe80::1%eth0", "a..b"])
def test_normalise_host_refuses_what_is_not_a_plain_host(host):
    with pytest.raises(BlockedAddress):
        normalise_host(host)


def test_the_real_resolver_is_the_default():
    assert resolve_and_judge.__defaults__ == (socket.getaddrinfo,)


def test_probes_import_no_django():
    code = (
        "import sys, readiness.probes.prober; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("target", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1"])
def test_rules_refuse_ipv4_in_unusual_forms(target):
    with pytest.raises(ValueError, match="unusual form"):
        AllowRule(target)
