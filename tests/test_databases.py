"""The test databases of killed runs are swept; a live run's is left alone (tests/databases.py)."""

import subprocess

import pytest
from django.conf import settings

from tests import databases

pytestmark = pytest.mark.django_db


def _names(database) -> set[str]:
    with databases._admin(database) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def test_the_database_of_a_process_that_is_gone_is_dropped_and_ours_stays():
    database = settings.DATABASES["default"]
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan = f"test_readiness_{gone.pid}"
    with databases._admin(database) as conn:
        conn.execute(f'CREATE DATABASE "{orphan}"')
    try:
        assert orphan in databases.drop_orphans(database)
        assert orphan not in _names(database)
        assert database["NAME"] in _names(database)  # this process's, in use
    finally:
        databases.drop(database, orphan)
