import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps its caches in .hypothesis/ under the working directory: not in the checkout. The
# "ci" profile is derandomized (tests/fuzz/conftest.py), so nothing is lost between runs.
_hypothesis_home = tempfile.mkdtemp(prefix="readiness-test-hypothesis-")
atexit.register(shutil.rmtree, _hypothesis_home, ignore_errors=True)
set_hypothesis_home_dir(_hypothesis_home)

SAMPLE_SERVICE = Path(__file__).resolve().parent.parent / "readiness" / "demo" / "sample-service"


@pytest.fixture(scope="session")
def _test_database_always_dropped():
    """Torn down after pytest-django's own teardown: drops the test database if that left it (see
    tests/databases.py); set up first, sweeping the databases of killed runs."""
    from django.conf import settings

    from tests import databases

    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        yield
        return
    databases.drop_orphans(database)
    yield
    databases.drop(database, database["TEST"]["NAME"])


@pytest.fixture(scope="session")
def django_db_setup(_test_database_always_dropped, django_db_setup):
    """pytest-django's, whose drop then finds nobody connected (it only warns when it fails)."""
    yield
    from django.conf import settings
    from django.db import connections

    from tests import databases

    database = settings.DATABASES["default"]
    if "postgresql" in database["ENGINE"]:
        connections.close_all()
        databases.disconnect(database, database["NAME"])


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what one test's pages kept (the dashboard's team
    figures) is not another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _own_rate_limit_budget(settings):
    """Each test its own rate-limit counters: the browser tests all log in from 127.0.0.1, and a
    fast suite made more than the 20 login posts a minute allowed to one address."""
    import uuid

    settings.RATE_LIMIT_KEY_PREFIX = f"{settings.RATE_LIMIT_KEY_PREFIX}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sample_repo_dir(tmp_path) -> Path:
    """A copy of the shipped sample service, as a local folder source."""
    target = tmp_path / "sample-service"
    shutil.copytree(SAMPLE_SERVICE, target)
    return target


@pytest.fixture
def team_member(db):
    """Return a function making a user with a role in a team."""
    from tests.factories import MembershipFactory

    def make(role="engineer", team=None):
        kwargs = {"role": role}
        if team is not None:
            kwargs["team"] = team
        return MembershipFactory(**kwargs)

    return make


# The test OpenID Connect provider (a second process), for tests/sso and the browser tests.
from tests.oidc_provider.fixtures import oidc_provider, oidc_provider_db, sso  # noqa: E402, F401
