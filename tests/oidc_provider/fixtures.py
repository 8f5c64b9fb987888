"""Fixtures: a real OpenID Connect provider (django-oauth-toolkit) in a second process on
127.0.0.1, and the settings that point Readiness at it."""

import copy
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "readiness-tests"
CLIENT_SECRET = "a-client-secret-for-tests-only"
CALLBACK = "http://testserver/accounts/oidc/sso/login/callback/"
USERS = [
    {"username": "erin", "email": "erin@acme.example", "groups": ["sre"]},
    {"username": "frank", "email": "frank@other.example", "groups": []},
    {"username": "unverified-ann", "email": "ann@acme.example", "groups": []},
    {"username": "tamper-mallory", "email": "mallory@acme.example", "groups": ["sre"]},
    {"username": "otheraud-oscar", "email": "oscar@acme.example", "groups": []},
]


def _port() -> int:
    # In this helper's range (18500-18599): the first one free.
    for port in range(18510, 18600):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 18510-18599")


@pytest.fixture(scope="session")
def oidc_provider_db(tmp_path_factory):
    return str(tmp_path_factory.mktemp("oidc") / "provider.sqlite3")


@pytest.fixture(scope="session")
def oidc_provider(oidc_provider_db):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    port = _port()
    env = {
        **os.environ,
        "OIDC_PROVIDER_DB": oidc_provider_db,
        "OIDC_PROVIDER_KEY": pem,
        "OIDC_PROVIDER_CLIENT": json.dumps(
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": CALLBACK}
        ),
        "OIDC_PROVIDER_USERS": json.dumps(USERS),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the OIDC provider did not start: {line}{process.stderr.read()[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sso(oidc_provider, settings):
    """Readiness configured for the provider, as OIDC_* variables would configure it."""
    settings.OIDC_ISSUER_URL = f"{oidc_provider}/o"
    settings.OIDC_AUTO_JOIN = []
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "SCOPE": ["openid", "profile", "email"],
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Log in with Acme SSO",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": f"{oidc_provider}/o"},
                }
            ],
        }
    }
    settings.OIDC_BUTTON_LABEL = "Log in with Acme SSO"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", oidc_provider]  # as settings.py derives it
    settings.CONTENT_SECURITY_POLICY = policy
    return oidc_provider
