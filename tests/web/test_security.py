"""Security headers, login throttling and Django's deployment checklist."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_reports_nothing():
    # A production environment: none of the test run's own variables (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly refuses).
    dropped = ("DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="readiness.example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/readiness",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "team"])
def test_html_pages_carry_a_strict_content_security_policy(client, path):
    if path == "team":
        member = MembershipFactory()
        client.force_login(member.user)
        path = reverse("team_detail", kwargs={"team_slug": member.team.slug})
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert b'"allowEval": false' in response.content


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_for_that_address(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    url = reverse("login")
    for _ in range(3):
        response = client.post(url, {"username": user.username, "password": "wrong"})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    # Even the right password is refused while locked.
    locked = client.post(url, {"username": user.username, "password": "pw-for-tests-1"})
    assert locked.status_code == 429
