"""SMTP settings from the environment (EMAIL_URL or EMAIL_*), strict like the other settings."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from readiness.env import SettingsError, env_email_url

ROOT = Path(__file__).resolve().parents[2]


def test_email_url_forms(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp+tls://mailer%40example.org:p%3Ass@smtp.example.org")
    assert env_email_url("EMAIL_URL") == {
        "host": "smtp.example.org",
        "port": 587,
        "user": "mailer@example.org",
        "password": "p:ss",
        "use_tls": True,
        "use_ssl": False,
    }
    monkeypatch.setenv("EMAIL_URL", "smtps://smtp.example.org")
    assert env_email_url("EMAIL_URL")["port"] == 465 and env_email_url("EMAIL_URL")["use_ssl"]
    monkeypatch.setenv("EMAIL_URL", "smtp://127.0.0.1:2525")
    assert env_email_url("EMAIL_URL")["port"] == 2525
    monkeypatch.delenv("EMAIL_URL")
    assert env_email_url("EMAIL_URL") is None


@pytest.mark.parametrize(
    "value", ["http://smtp.example.org", "smtp://", "smtp://host:notaport", "smtp://u:secret@host/path"]
)
def test_a_malformed_email_url_stops_start_up_without_showing_the_password(monkeypatch, value):
    monkeypatch.setenv("EMAIL_URL", value)
    with pytest.raises(SettingsError) as error:
        env_email_url("EMAIL_URL")
    assert "EMAIL_URL" in str(error.value) and "secret" not in str(error.value)


def _settings_in_child(**env) -> str:
    """Load readiness.settings in a fresh process with exactly these variables and print the mail ones."""
    names = "EMAIL_BACKEND EMAIL_HOST EMAIL_PORT EMAIL_USE_TLS EMAIL_USE_SSL EMAIL_HOST_USER"
    names += " DEFAULT_FROM_EMAIL"
    code = (
        "import readiness.settings as s;"
        f"print(*[getattr(s, n) for n in {names.split()!r}], sorted(s.ANYMAIL.items()))"
    )
    with tempfile.TemporaryDirectory(prefix="rd-settings-test-") as var:
        base = {"PATH": os.environ["PATH"], "SECRET_KEY": "x", "READINESS_VAR_DIR": var}
        result = subprocess.run(
            [sys.executable, "-c", code], env={**base, **env}, cwd=ROOT, capture_output=True, text=True
        )
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def test_settings_read_email_url_the_usual_variables_and_anymail():
    out = _settings_in_child(
        EMAIL_URL="smtp+tls://bot:pw@mail.example.org:2587", DEFAULT_FROM_EMAIL="r@example.org"
    )
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert out == f"{smtp} mail.example.org 2587 True False bot r@example.org []"
    out = _settings_in_child(EMAIL_HOST="relay", EMAIL_PORT="25", EMAIL_USE_SSL="true", EMAIL_HOST_USER="u")
    assert out.startswith("django.core.mail.backends.smtp.EmailBackend relay 25 False True u ")
    locmem = "django.core.mail.backends.locmem.EmailBackend"
    out = _settings_in_child(EMAIL_BACKEND=locmem, ANYMAIL_POSTMARK_SERVER_TOKEN="tok")
    assert out.startswith(f"{locmem} ")
    assert out.endswith("[('POSTMARK_SERVER_TOKEN', 'tok')]")
    # A backend whose package is not installed stops start-up (not the first report, days later).
    out = _settings_in_child(EMAIL_BACKEND="anymail.backends.postmark.EmailBackend")
    assert out.startswith("Configuration error: EMAIL_BACKEND=") and "pip install django-anymail" in out
    # make run: DEBUG and no mail server configured print e-mails on the console.
    assert _settings_in_child(DEBUG="true").startswith("django.core.mail.backends.console.EmailBackend")
    assert "EMAIL_USE_TLS" in _settings_in_child(EMAIL_USE_TLS="yes")  # strict: yes is not true
