"""Every variable of docs/configuration.md, malformed, through `manage.py check` in a fresh process:
one line naming that variable and what it expects, exit status 1, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"

SSO_CLIENT = {"OIDC_CLIENT_ID": "readiness", "OIDC_CLIENT_SECRET": "s3cret"}
# A malformed value for each variable (a value nobody could mean), or (value, the other variables
# it needs to be read at all).
MALFORMED = {
    "SECRET_KEY": "",  # required without DEBUG
    "DEBUG": "yes please",
    "ALLOWED_HOSTS": "https://readiness.example.com",
    "CSRF_TRUSTED_ORIGINS": "readiness.example.com",
    "SITE_URL": "readiness.example.com",
    "DATABASE_URL": "nonsense",
    "DB_CONN_MAX_AGE": "a minute",
    "CELERY_BROKER_URL": "nonsense",
    "CELERY_VISIBILITY_TIMEOUT": "1h",
    "READINESS_VAR_DIR": "/proc/readiness",
    "READINESS_WORK_DIR": "/etc/hostname",
    "STATIC_ROOT": "/etc/hostname",
    "FIELD_ENCRYPTION_KEYS": "not-a-fernet-key",
    "ANALYSIS_SOFT_TIME_LIMIT": "5m",
    "ANALYSIS_MAX_ATTEMPTS": "0",
    "ANALYSIS_RUN_LEASE": "-1",
    "GIT_FETCH_TIMEOUT": "two minutes",
    "GIT_FETCH_MAX_MB": "200MB",
    "READINESS_ALLOW_LOCAL_SOURCES": "sure",
    "READINESS_GIT_HTTP_HOSTS": "http://git.internal",
    "EGRESS_HARD_DENY": "db.internal:99999",
    "WORKER_HEARTBEAT_INTERVAL": "15s",
    "WORKER_HEARTBEAT_MAX_AGE": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "SECURE_SSL_REDIRECT": "on",
    "SECURE_HSTS_SECONDS": "a year",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "yes",
    "SECURE_HSTS_PRELOAD": "no",
    "SESSION_COOKIE_SECURE": "secure",
    "CSRF_COOKIE_SECURE": "secure",
    "AXES_FAILURE_LIMIT": "five",
    "AXES_COOLOFF_MINUTES": "0",
    "RATE_LIMIT_API": "120 per minute",
    "RATE_LIMIT_API_IP": "600",
    "RATE_LIMIT_WEBHOOK": "0/60",
    "RATE_LIMIT_LOGIN": "lots",
    "RATE_LIMIT_REDIS_URL": "http://redis.internal:6379",
    "RATE_LIMIT_PROXY_COUNT": "-1",
    "EMAIL_URL": "mail.example.org:587",
    "EMAIL_HOST": "smtp://mail.example.org",
    "EMAIL_PORT": "smtp",
    "EMAIL_USE_TLS": "starttls",
    "EMAIL_USE_SSL": "ssl",
    "EMAIL_TIMEOUT": "10s",
    "DEFAULT_FROM_EMAIL": "Readiness",
    "SERVER_EMAIL": "root@",
    "EMAIL_BACKEND": "smtp",
    "LOG_LEVEL": "verbose",
    "LOG_FORMAT": "xml",
    "METRICS_ALLOWED_IPS": "the office",
    "AUDIT_RETENTION_DAYS": "two years",
    "OIDC_ISSUER_URL": "http://login.example.com/realms/acme",
    "OIDC_SCOPES": ("profile,email", {"OIDC_ISSUER_URL": "https://login.example.com", **SSO_CLIENT}),
    "OIDC_AUTO_JOIN": "example.com=platform",
    "OIDC_AUTO_JOIN_ROLE": "admin",
}
# Free text: any value is a value (a password, a token, a prefix, a provider's own settings).
FREE_FORM = {
    "RATE_LIMIT_KEY_PREFIX",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "METRICS_TOKEN",
    "ANYMAIL_*",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_BUTTON_LABEL",
    "OIDC_GROUPS_CLAIM",
}
# Values that must never be printed back.
SECRETS = {"FIELD_ENCRYPTION_KEYS"}

_ROW = re.compile(r"^\|\s*(`[^|]+)\|", re.MULTILINE)


def documented_variables() -> set[str]:
    names = set()
    for cell in _ROW.findall(DOC.read_text()):
        names.update(re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", cell))
    return names


def test_every_documented_variable_has_a_malformed_example_or_is_free_text():
    documented = documented_variables()
    assert len(documented) > 40, "the table regex no longer matches docs/configuration.md"
    assert documented - set(MALFORMED) - FREE_FORM == set(), "add a malformed example above"
    assert (set(MALFORMED) | FREE_FORM) - documented == set(), "documented no more: remove it here"


def test_every_variable_the_settings_read_is_documented():
    source = (ROOT / "readiness" / "settings.py").read_text()
    read = set(re.findall(r'env_[a-z_]+\(\s*"([A-Z][A-Z0-9_]*)"', source))
    assert read - documented_variables() == set()


def _base_env(tmp: Path) -> dict:
    # Only what a shell has, plus the one variable production requires: nothing of this test run.
    return {"PATH": os.environ["PATH"], "HOME": str(tmp), "SECRET_KEY": "x", "READINESS_VAR_DIR": str(tmp)}


def _check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        cwd=env["HOME"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """`manage.py check` once per malformed variable (two at a time: each is a whole Django start)."""
    tmp = tmp_path_factory.mktemp("configuration")

    def run(name):
        value, others = MALFORMED[name] if isinstance(MALFORMED[name], tuple) else (MALFORMED[name], {})
        return name, _check({**_base_env(tmp), **others, name: value})

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, sorted(MALFORMED)))


def test_the_base_environment_passes(tmp_path):
    result = _check(_base_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_variable_gives_one_line_naming_it_and_exit_1(outcomes, name):
    result = outcomes[name]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    line = lines[0]
    # It names this variable first, not one it happens to feed (RATE_LIMIT_REDIS_URL, EMAIL_URL...).
    assert line.startswith((f"Configuration error: {name}=", f"Configuration error: {name} ")), line
    assert "expected" in line or "required" in line, line
    if name in SECRETS:
        assert MALFORMED[name] not in line
