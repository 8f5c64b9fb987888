import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.deploy.processes import ROOT, base_env, redis_database

BROKER_URL = redis_database(14)


@pytest.fixture(scope="module")
def deploy_database_url():
    """A throwaway PostgreSQL database, migrated by `manage.py migrate` as the migrate service
    would; dropped afterwards. pytest-django's test database is not used: the servers under test
    run in other processes with the production settings."""
    server = urlsplit(os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readiness"))
    name = f"readiness_deploy_{uuid.uuid4().hex[:8]}"
    admin_url = urlunsplit(server._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(server._replace(path=f"/{name}"))
    try:
        settings = "readiness.settings"
        env = base_env(DATABASE_URL=url, CELERY_BROKER_URL=BROKER_URL, DJANGO_SETTINGS_MODULE=settings)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deploy_broker_url():
    """Redis database 14 (the suite uses 15). Not flushed: another run may be using it; the worker
    test keeps its keys under a prefix of its own and deletes them."""
    yield BROKER_URL
