"""guarded_request, the POST the alerts use: judged, connected to the judged address, no redirects."""

import pytest

from readiness.probes.client import guarded_request
from readiness.probes.guard import AddressPolicy, AllowRule, BlockedAddress
from tests.probes.conftest import fake_resolver

OPEN = AddressPolicy(allow=[AllowRule("127.0.0.1")])


def test_a_post_carries_its_body_and_headers(receiver):
    response = guarded_request(
        "POST", receiver.url("/x"), policy=OPEN, timeout=5, content=b'{"a":1}', headers={"X-Sig": "v"}
    )
    assert response.status_code == 200 and response.body == b"ok"
    (request,) = receiver.requests
    assert request["body"] == b'{"a":1}' and request["headers"]["X-Sig"] == "v"


def test_a_redirect_is_the_answer_not_followed(receiver):
    receiver.answers, receiver.headers = [(302, b"")], {"Location": "http://169.254.169.254/latest"}
    response = guarded_request("POST", receiver.url("/x"), policy=OPEN, timeout=5, content=b"{}")
    assert response.status_code == 302 and response.redirects == 0
    assert len(receiver.requests) == 1


def test_a_name_that_resolves_to_a_denied_address_is_refused_before_connecting(receiver):
    resolver = fake_resolver({"hooks.example.com": ["127.0.0.1"]})
    with pytest.raises(BlockedAddress, match="loopback"):
        guarded_request(
            "POST",
            f"http://hooks.example.com:{receiver.port}/x",
            policy=AddressPolicy(),
            timeout=5,
            content=b"{}",
            resolver=resolver,
        )
    assert receiver.requests == []
