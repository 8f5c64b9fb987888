"""Rate limits: counters in the real Redis, 429 with Retry-After and JSON, reset after the window."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.test import RequestFactory

from readiness.core import ratelimit
from readiness.env import SettingsError, env_rate
from tests.api.conftest import bearer, repo_path
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def minute_start():
    """Counters are per fixed window (``now // seconds``): a test counting against a 60-second
    limit starts at the beginning of a minute, so a slow machine cannot straddle two windows."""
    start = (time.time() // 60 + 1) * 60 + 0.5
    with time_machine.travel(start, tick=True):
        yield


def assert_429(response):
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


def test_api_per_token_limit_then_reset_after_the_window(client, world, settings):
    settings.RATE_LIMIT_API = (2, 1)
    headers = bearer(world.team_token)
    client.get("/api/v1/repos", headers=bearer(world.viewer_token))  # warm imports and connections up
    for _attempt in range(5):
        # Start at the beginning of a one-second window; retry if the three requests straddled two.
        time.sleep(1 - time.time() % 1)
        window = int(time.time())
        responses = [client.get("/api/v1/repos", headers=headers) for _ in range(3)]
        if int(time.time()) == window:
            break
    first, _, limited = responses
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    assert_429(limited)
    assert limited.json()["retry_after"] == int(limited["Retry-After"]) == 1
    assert "Too many requests" in limited.json()["detail"]
    # Another token is counted on its own.
    assert client.get("/api/v1/repos", headers=bearer(world.engineer_token)).status_code == 200
    time.sleep(1 - time.time() % 1 + 0.01)  # the next window
    assert client.get("/api/v1/repos", headers=headers).status_code == 200


def test_api_per_address_limit_counts_before_authentication(client, world, settings, minute_start):
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


def test_trigger_is_limited_too(client, world, settings, minute_start):
    settings.RATE_LIMIT_API = (1, 60)
    assert client.post(repo_path(world.repo, "/runs"), headers=bearer(world.team_token)).status_code == 202
    assert_429(client.post(repo_path(world.repo, "/runs"), headers=bearer(world.team_token)))


def test_webhook_is_limited_per_address(client, settings, minute_start):
    settings.RATE_LIMIT_WEBHOOK = (2, 60)
    repo = RepositoryFactory()
    url = f"/hooks/{repo.webhook_id}/"
    for _ in range(2):
        # Unsigned (and no secret set): refused by the view, but counted.
        assert client.post(url, data=b"{}", content_type="application/json").status_code == 404
    limited = client.post(url, data=b"{}", content_type="application/json")
    assert_429(limited)
    assert limited.json()["retry_after"] >= 1


def test_login_posts_are_limited_per_address_and_pages_still_load(client, settings, minute_start):
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


def test_redis_down_lets_requests_through(client, world, settings, minute_start, caplog):
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


# Settings ----------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def settings_value(tmp_path, name, **env_overrides):
    """Import the real settings in a fresh interpreter with this environment; (exit code, output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATE_LIMIT_", "CELERY_", "DJANGO_"))}
    env.update(SECRET_KEY="x", READINESS_VAR_DIR=str(tmp_path), **env_overrides)
    code = f"import readiness.settings as s; print(repr(s.{name}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def test_counters_default_to_the_redis_broker_and_memory_only_for_the_embedded_broker(tmp_path):
    assert settings_value(tmp_path, "RATE_LIMIT_REDIS_URL", CELERY_BROKER_URL="redis://r:6379/0") == (
        0,
        "'redis://r:6379/0'",
    )
    assert settings_value(tmp_path, "RATE_LIMIT_REDIS_URL") == (0, "''")  # filesystem:// (make run)
    assert settings_value(tmp_path, "RATE_LIMIT_API") == (0, "(120, 60)")


@pytest.mark.parametrize(
    "env,named",
    [
        ({"CELERY_BROKER_URL": "amqp://mq:5672//"}, "RATE_LIMIT_REDIS_URL"),  # no silent per-process limits
        ({"RATE_LIMIT_REDIS_URL": "http://r:6379"}, "RATE_LIMIT_REDIS_URL"),
        ({"RATE_LIMIT_LOGIN": "lots"}, "RATE_LIMIT_LOGIN"),
        ({"RATE_LIMIT_PROXY_COUNT": "-1"}, "RATE_LIMIT_PROXY_COUNT"),
    ],
)
def test_bad_rate_limit_settings_stop_start_up_naming_the_variable(tmp_path, env, named):
    code, output = settings_value(tmp_path, "RATE_LIMIT_API", **env)
    assert code != 0
    assert f"Configuration error: {named}=" in output and "Traceback" not in output
