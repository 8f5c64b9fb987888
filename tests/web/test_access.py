"""The one access decorator (readiness/teams/access.py): its order of checks, and the 403 and 404
pages it leads to, rendered in the site's layout."""

import pytest
from django.urls import reverse

from readiness.repos.models import AnalysisRun
from tests.factories import MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def analyze_url(repo, slug=None):
    return reverse("analysis_start", kwargs={"team_slug": repo.team.slug, "repo_slug": slug or repo.slug})


def test_a_member_below_the_role_gets_the_403_page_with_the_reason(client):
    viewer = MembershipFactory(role="viewer")
    repo = RepositoryFactory(team=viewer.team)
    client.force_login(viewer.user)
    response = client.post(analyze_url(repo))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Viewers cannot start analyses." in html
    assert 'class="topbar"' in html and viewer.user.get_username() in html  # the site's layout
    assert not AnalysisRun.objects.exists()


def test_another_teams_repository_is_the_404_page_whatever_the_role(client):
    lead = MembershipFactory(role="lead")
    foreign = RepositoryFactory()
    client.force_login(lead.user)
    response = client.post(analyze_url(foreign))
    assert response.status_code == 404
    assert 'class="topbar"' in response.content.decode()


def test_method_then_team_then_object_then_role(client):
    viewer = MembershipFactory(role="viewer")
    repo = RepositoryFactory(team=viewer.team)
    client.force_login(viewer.user)
    assert client.get(analyze_url(repo)).status_code == 405  # a wrong method, before anything else
    assert client.post(analyze_url(repo, slug="no-such-repo")).status_code == 404  # object before role
    client.logout()
    login = client.post(analyze_url(repo))
    assert login.status_code == 302 and login["Location"].startswith(reverse("login"))


def test_per_method_roles(client):
    viewer = MembershipFactory(role="viewer")
    client.force_login(viewer.user)
    url = reverse("team_detail", kwargs={"team_slug": viewer.team.slug})
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "api", "url": "https://example.com/api.git", "branch": "main"})
    assert response.status_code == 403
    assert "Only team leads can register repositories." in response.content.decode()
