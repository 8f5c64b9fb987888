"""Test settings: the real PostgreSQL and Redis of this machine (see Makefile's TEST_* variables)."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# A test-only key.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "wDWfX_R29AxV4zuox8DHGa7BZHFVf0Q-t2uJkhVgbT4=")
os.environ["DATABASE_URL"] = os.environ.get(
    "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readiness"
)
os.environ["CELERY_BROKER_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
if "READINESS_VAR_DIR" not in os.environ:
    # Ours, so removed when this process ends (child processes inherit it and leave it alone).
    os.environ["READINESS_VAR_DIR"] = tempfile.mkdtemp(prefix="readiness-test-var-")
    atexit.register(shutil.rmtree, os.environ["READINESS_VAR_DIR"], ignore_errors=True)

from readiness.settings import *  # noqa: F403

READINESS_ALLOW_LOCAL_SOURCES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# An empty folder that exists: WhiteNoise warns about a missing STATIC_ROOT at every request handler
# it builds (the tests serve static files through the finders, as `runserver` does).
STATIC_ROOT = VAR_DIR / "staticfiles"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # a bench may name a var dir not made yet
# One test database per pytest process, so parallel runs on one machine cannot wipe each other's rows.
DATABASES["default"]["TEST"] = {"NAME": f"test_readiness_{os.getpid()}"}  # noqa: F405
SECURE_SSL_REDIRECT = False  # the test client speaks plain http
# Rate-limit counters per test process, so runs on one machine do not share the login budget.
RATE_LIMIT_KEY_PREFIX = f"test-rl-{os.getpid()}"
