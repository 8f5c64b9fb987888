"""Registration: the SSRF guard refuses with a readable reason; allow rules open what they name."""

import json

import pytest
from django.core.exceptions import ValidationError

from readiness.core.crypto import decrypt
from readiness.core.models import AllowedNetwork
from readiness.endpoints import services
from readiness.endpoints.models import Endpoint
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def _register(url, **kwargs):
    return services.endpoint_register(
        repository=kwargs.pop("repository", None) or RepositoryFactory(),
        name=kwargs.pop("name", "api"),
        url=url,
        **kwargs,
    )


def _url_error(excinfo) -> str:
    return " ".join(excinfo.value.message_dict["url"])


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://10.0.0.5/health",
            "address 10.0.0.5 is in a private range (10.0.0.0/8); an administrator can allow it",
        ),
        ("http://192.168.1.20:8080/ready", "is in a private range"),
        ("http://127.0.0.1:8000/health", "loopback"),
        ("http://[::1]/health", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata service"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("http://user:pw@example.com/health", "user name or password"),
    ],
)
def test_refused_urls_say_why(url, reason):
    with pytest.raises(ValidationError) as excinfo:
        _register(url)
    assert reason in _url_error(excinfo)
    assert not Endpoint.objects.exists()


def test_an_allow_rule_opens_its_port_only(local_server):
    AllowedNetwork.objects.create(target="127.0.0.1", port=local_server.port, reason="tests")
    endpoint = _register(local_server.url("/health"))
    assert endpoint.pk and endpoint.latency_threshold_ms == 100  # liveness default

    with pytest.raises(ValidationError) as excinfo:
        _register(f"http://127.0.0.1:{local_server.port + 1}/health", name="other")
    assert "loopback" in _url_error(excinfo)


def test_no_allow_rule_opens_the_metadata_service():
    AllowedNetwork.objects.create(target="169.254.0.0/16", reason="link-local lab")
    with pytest.raises(ValidationError) as excinfo:
        _register("http://169.254.169.254/latest/meta-data/")
    assert "always refused" in _url_error(excinfo)


def test_readiness_default_threshold_and_settings_validation(allowed_server):
    endpoint = _register(allowed_server.url("/ready"), kind="readiness")
    assert endpoint.latency_threshold_ms == 5000
    with pytest.raises(ValidationError) as excinfo:
        _register(allowed_server.url("/x"), name="fast", interval_s=10)
    assert "interval_s" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        _register(allowed_server.url("/x"), name="slow", interval_s=15, timeout_s=20)
    assert "timeout_s" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        _register(allowed_server.url("/x"), repository=endpoint.repository, name="api")
    assert "name" in excinfo.value.message_dict


def test_headers_are_encrypted_at_rest_and_kept_on_edit(allowed_server):
    endpoint = _register(allowed_server.url("/health"), headers={"Authorization": "Bearer s3cret-token"})
    stored = Endpoint.objects.get(pk=endpoint.pk).headers_encrypted
    assert "s3cret" not in stored
    assert json.loads(decrypt(stored)) == {"Authorization": "Bearer s3cret-token"}

    services.endpoint_update(endpoint=endpoint, interval_s=30)
    assert json.loads(decrypt(Endpoint.objects.get(pk=endpoint.pk).headers_encrypted))["Authorization"]
    services.endpoint_update(endpoint=endpoint, clear_headers=True)
    assert Endpoint.objects.get(pk=endpoint.pk).headers_encrypted == ""


def test_invalid_header_is_refused(allowed_server):
    with pytest.raises(ValidationError) as excinfo:
        _register(allowed_server.url("/health"), headers={"Bad Name": "x"})
    assert "not a valid HTTP header" in str(excinfo.value)


def test_an_edit_to_a_refused_url_is_refused_and_nothing_changes(allowed_server):
    endpoint = _register(allowed_server.url("/health"))
    with pytest.raises(ValidationError) as excinfo:
        services.endpoint_update(endpoint=endpoint, url="http://10.1.2.3/health")
    assert "private range" in _url_error(excinfo)
    assert Endpoint.objects.get(pk=endpoint.pk).url == allowed_server.url("/health")


def test_a_repository_has_at_most_max_endpoints(allowed_server, monkeypatch):
    monkeypatch.setattr(services, "MAX_ENDPOINTS_PER_REPOSITORY", 2)
    repo = RepositoryFactory()
    for name in ("a", "b"):
        _register(allowed_server.url("/health"), repository=repo, name=name)
    with pytest.raises(ValidationError) as excinfo:
        _register(allowed_server.url("/health"), repository=repo, name="c")
    assert "at most 2 endpoints" in str(excinfo.value)
