"""Rate limits: counters in the real Redis, 429 with Retry-After and JSON, reset after the window."""

import time

import pytest
from django.test import RequestFactory

from readiness.core import ratelimit
from readiness.env import SettingsError, env_rate
from tests.api.conftest import bearer, repo_path
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


def assert_429(response):
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


def test_api_per_token_limit_then_reset_after_the_window(client, world, settings):
    settings.RATE_LIMIT_API = (2, 1)
    headers = bearer(world.team_token)
    # Start at the beginning of a one-second window, so two requests fit in it.
    time.sleep(1 - time.time() % 1)
    first = client.get("/api/v1/repos", headers=headers)
    assert first.status_code == 200
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    assert client.get("/api/v1/repos", headers=headers).status_code == 200
    limited = client.get("/api/v1/repos", headers=headers)
    assert_429(limited)
    assert limited.json()["retry_after"] == int(limited["Retry-After"])
    assert "Too many requests" in limited.json()["detail"]
    # Another token is counted on its own.
    assert client.get("/api/v1/repos", headers=bearer(world.engineer_token)).status_code == 200
    time.sleep(1.05)
    assert client.get("/api/v1/repos", headers=headers).status_code == 200


def test_api_per_address_limit_counts_before_authentication(client, world, settings):
    settings.RATE_LIMIT_API_IP = (3, 60)
    assert client.get("/api/v1/repos").status_code == 401
    assert client.get("/api/v1/repos", headers=bearer("rdy_guess")).status_code == 401
    assert client.get("/api/v1/repos", headers=bearer(world.team_token)).status_code == 200
    assert_429(client.get("/api/v1/repos", headers=bearer(world.team_token)))
    # Another address is not limited.
    assert (
        client.get("/api/v1/repos", headers=bearer(world.team_token), REMOTE_ADDR="10.1.2.3").status_code
        == 200
    )


def test_the_counter_lives_in_redis(client, world, settings, redis_client, rate_limit_keys):
    settings.RATE_LIMIT_API = (100, 60)
    client.get("/api/v1/repos", headers=bearer(world.team_token))
    client.get("/api/v1/repos", headers=bearer(world.team_token))
    keys = [k.decode() for k in redis_client.scan_iter(f"{rate_limit_keys}:api-token:*")]
    assert len(keys) == 1
    assert int(redis_client.get(keys[0])) == 2
    assert 0 < redis_client.ttl(keys[0]) <= 61
    # A second process (a fresh backend) sees the same count.
    ratelimit._backends.clear()
    decision = ratelimit.hit("api-token", keys[0].split(":")[-3], (3, 60))
    assert (decision.allowed, decision.remaining) == (True, 0)


def test_trigger_is_limited_too(client, world, settings):
    settings.RATE_LIMIT_API = (1, 60)
    assert client.post(repo_path(world.repo, "/runs"), headers=bearer(world.team_token)).status_code == 202
    assert_429(client.post(repo_path(world.repo, "/runs"), headers=bearer(world.team_token)))


def test_webhook_is_limited_per_address(client, settings):
    settings.RATE_LIMIT_WEBHOOK = (2, 60)
    repo = RepositoryFactory()
    url = f"/hooks/{repo.webhook_id}/"
    for _ in range(2):
        # Unsigned (and no secret set): refused by the view, but counted.
        assert client.post(url, data=b"{}", content_type="application/json").status_code == 404
    limited = client.post(url, data=b"{}", content_type="application/json")
    assert_429(limited)
    assert limited.json()["retry_after"] >= 1


def test_login_posts_are_limited_per_address_and_pages_still_load(client, settings):
    settings.RATE_LIMIT_LOGIN = (2, 60)
    for _ in range(2):
        assert client.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 200
    limited = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert_429(limited)
    assert b"Too many" in limited.content
    assert client.get("/accounts/login/").status_code == 200


def test_a_limit_set_to_off_never_limits(client, world, settings):
    settings.RATE_LIMIT_API = None
    settings.RATE_LIMIT_API_IP = None
    for _ in range(5):
        response = client.get("/api/v1/repos", headers=bearer(world.team_token))
        assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response


def test_redis_down_lets_requests_through(client, world, settings, caplog):
    settings.RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    settings.RATE_LIMIT_API = (1, 60)
    for _ in range(3):
        assert client.get("/api/v1/repos", headers=bearer(world.team_token)).status_code == 200
    assert "rate limit counter unavailable" in caplog.text


def test_in_process_counters_for_the_embedded_mode(settings):
    settings.RATE_LIMIT_REDIS_URL = ""
    assert isinstance(ratelimit._backend(), ratelimit.MemoryCounters)
    now = 1_000_000.0
    decisions = [ratelimit.hit("t", "a", (2, 10), now=now) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[-1].retry_after == 10
    assert ratelimit.hit("t", "a", (2, 10), now=now + 10).allowed  # the next window


def test_client_address_behind_trusted_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.RATE_LIMIT_PROXY_COUNT = 0
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.RATE_LIMIT_PROXY_COUNT = 1
    assert ratelimit.client_ip(request) == "203.0.113.9"  # not the forgeable first entry
    settings.RATE_LIMIT_PROXY_COUNT = 3
    assert ratelimit.client_ip(request) == "10.0.0.1"  # fewer hops than configured: the connection


@pytest.mark.parametrize(
    "raw,expected",
    [("120/60", (120, 60)), (" 5/1 ", (5, 1)), ("off", None), ("OFF", None), ("", (120, 60))],
)
def test_env_rate_parses(monkeypatch, raw, expected):
    monkeypatch.setenv("RATE_LIMIT_X", raw)
    assert env_rate("RATE_LIMIT_X", "120/60") == expected


@pytest.mark.parametrize(
    "raw", ["120", "120/", "/60", "0/60", "10/0", "1.5/60", "-1/60", "ten/60", "10/60s", "\u0661/60"]
)
def test_env_rate_refuses_malformed_values(monkeypatch, raw):
    monkeypatch.setenv("RATE_LIMIT_X", raw)
    with pytest.raises(SettingsError, match="RATE_LIMIT_X"):
        env_rate("RATE_LIMIT_X", "120/60")
