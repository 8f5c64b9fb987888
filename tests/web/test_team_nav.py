"""The team navigation of the site layout, the team's settings page and its endpoints page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.teams.context_processors import nav_section
from tests.factories import EndpointFactory, MembershipFactory, RepositoryFactory, TeamFactory

pytestmark = pytest.mark.django_db


def nav(html: str) -> str:
    match = re.search(r'<nav class="teamnav".*?</nav>', html, re.S)
    assert match, "no team navigation on the page"
    return match.group(0)


@pytest.mark.parametrize(("role", "has_activity"), [("viewer", False), ("engineer", False), ("lead", True)])
def test_every_team_page_has_the_navigation_with_the_current_section(client, role, has_activity):
    member = MembershipFactory(role=role, team__name="Payments")
    repo = RepositoryFactory(team=member.team)
    client.force_login(member.user)
    slug = member.team.slug
    pages = {
        reverse("dashboard:team", args=[slug]): "Dashboard",
        reverse("team_detail", args=[slug]): "Repositories",
        reverse("repository_detail", args=[slug, repo.slug]): "Repositories",
        reverse("checklists:repository", args=[slug, repo.slug]): "Repositories",
        reverse("endpoints:team", args=[slug]): "Endpoints",
        reverse("endpoints:list", args=[slug, repo.slug]): "Endpoints",
        reverse("team_settings", args=[slug]): "Settings",
        reverse("members", args=[slug]): "Settings",
        reverse("checklists:waivers", args=[slug]): "Settings",
    }
    for url, current in pages.items():
        html = nav(client.get(url).content.decode())
        assert re.findall(r'aria-current="page">(\w+)<', html) == [current], url
        assert "Payments" in html and ("Activity" in html) is has_activity


def test_the_switcher_lists_only_the_users_teams(client):
    member = MembershipFactory(team__name="Alpha")
    MembershipFactory(user=member.user, team__name="Beta")
    TeamFactory(name="Gamma")
    client.force_login(member.user)
    html = nav(client.get(reverse("dashboard:team", args=[member.team.slug])).content.decode())
    assert "<details" in html and ">Alpha</a>" in html and ">Beta</a>" in html and "Gamma" not in html
    assert re.search(r'aria-current="true">Alpha<', html)


def test_a_single_team_has_no_switcher_and_pages_outside_a_team_no_navigation(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = MembershipFactory()
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("team_detail", args=[member.team.slug])).content.decode()
    assert "<details" not in nav(html)
    # Nothing to switch to: the team list is not even read (one query less on every team page).
    assert not [q for q in queries.captured_queries if 'FROM "teams_team" INNER JOIN' in q["sql"]]
    assert 'class="teamnav"' not in client.get(reverse("api_pages:personal_tokens")).content.decode()


def test_a_refused_page_keeps_the_navigation(client):
    member = MembershipFactory(role="viewer")
    client.force_login(member.user)
    response = client.get(reverse("activity", args=[member.team.slug]))
    assert response.status_code == 403
    assert 'class="teamnav"' in response.content.decode()


def test_nav_section_of_url_names():
    assert nav_section("reports:settings") == "settings"
    assert nav_section("endpoints:edit") == "endpoints"
    assert nav_section("checklists:compare") == "repositories"
    assert nav_section("repositories_archived") == "repositories"
    assert nav_section("alerts:list") == "settings"
    assert nav_section("checklists:attest") == ""
    assert nav_section("home") == ""


def test_settings_page_shows_leads_more(client):
    lead = MembershipFactory(role="lead")
    engineer = MembershipFactory(role="engineer", team=lead.team)
    url = reverse("team_settings", args=[lead.team.slug])
    client.force_login(engineer.user)
    html = client.get(url).content.decode()
    assert "2 members" in html and "Leads change these settings" in html
    assert reverse("api_pages:team_tokens", args=[lead.team.slug]) not in html
    client.force_login(lead.user)
    html = client.get(url).content.decode()
    assert reverse("api_pages:team_tokens", args=[lead.team.slug]) in html
    assert reverse("activity", args=[lead.team.slug]) in html


def test_team_endpoints_failing_first_and_only_the_teams(client):
    member = MembershipFactory()
    repo = RepositoryFactory(team=member.team, name="checkout")
    EndpointFactory(repository=repo, name="ok-one", state="up")
    EndpointFactory(repository=repo, name="new-one", state="unknown")
    EndpointFactory(repository=repo, name="broken-one", state="down")
    EndpointFactory(repository=repo, name="paused-one", state="down", enabled=False)
    EndpointFactory(name="someone-elses", state="down")
    archived = RepositoryFactory(team=member.team, archived_at=timezone.now())
    EndpointFactory(repository=archived, name="archived-one", state="down")
    client.force_login(member.user)
    html = client.get(reverse("endpoints:team", args=[member.team.slug])).content.decode()
    order = [html.index(n) for n in ("broken-one", "new-one", "ok-one", "paused-one")]
    assert order == sorted(order)
    assert "someone-elses" not in html and "archived-one" not in html
    assert '<span class="status status-fail">1 down</span>' in html
    assert "1 up · 1 not probed yet · 1 paused" in html
