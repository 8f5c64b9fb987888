"""SSO settings from the environment: off when unset, one clear line for a bad value."""

import pytest

from readiness.env import SettingsError, env_auto_join, env_https_url
from tests.web.test_settings import run_check


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://login.example.com/realms/acme", True),
        ("http://127.0.0.1:18510/o", True),
        ("http://idp.example.com", False),
        ("ftp://idp.example.com", False),
        ("https://", False),
        ("https://idp.example.com/?x=1", False),
    ],
)
def test_issuer_url_is_https_except_on_this_machine(monkeypatch, value, ok):
    monkeypatch.setenv("OIDC_ISSUER_URL", value)
    if ok:
        assert env_https_url("OIDC_ISSUER_URL") == value.rstrip("/")
    else:
        with pytest.raises(SettingsError, match=r"OIDC_ISSUER_URL=.*expected an https:// URL"):
            env_https_url("OIDC_ISSUER_URL")


def test_auto_join_rules(monkeypatch):
    monkeypatch.setenv("OIDC_AUTO_JOIN", "domain:Acme.example=platform, group:sre=ops:engineer")
    assert env_auto_join("OIDC_AUTO_JOIN", "viewer") == [
        {"kind": "domain", "value": "acme.example", "team": "platform", "role": "viewer"},
        {"kind": "group", "value": "sre", "team": "ops", "role": "engineer"},
    ]
    for bad in ("acme.example=platform", "domain:acme.example=platform:owner", "group:=ops"):
        monkeypatch.setenv("OIDC_AUTO_JOIN", bad)
        with pytest.raises(SettingsError, match="expected comma-separated rules"):
            env_auto_join("OIDC_AUTO_JOIN", "viewer")
    monkeypatch.delenv("OIDC_AUTO_JOIN")
    assert env_auto_join("OIDC_AUTO_JOIN", "viewer") == []


def test_an_issuer_without_client_stops_start_up_with_one_line():
    result = run_check(SECRET_KEY="x", OIDC_ISSUER_URL="https://idp.example.com")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "Configuration error: OIDC_CLIENT_ID='' is not valid" in result.stderr
    stray = run_check(SECRET_KEY="x", OIDC_AUTO_JOIN="domain:acme.example=platform")
    assert stray.returncode != 0 and "OIDC_AUTO_JOIN=" in stray.stderr
