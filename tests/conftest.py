import shutil
from pathlib import Path

import pytest

SAMPLE_SERVICE = Path(__file__).resolve().parent.parent / "readiness" / "demo" / "sample-service"


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
