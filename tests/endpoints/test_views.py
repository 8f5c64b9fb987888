"""The endpoints pages: scoped to the team, read-only for viewers, htmx "probe now"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.endpoints.models import Endpoint, ProbeRecord
from readiness.endpoints.selectors import endpoint_states_for_repositories
from tests.factories import EndpointFactory, MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def _urls(endpoint):
    repo = endpoint.repository
    kw = {"team_slug": repo.team.slug, "repo_slug": repo.slug}
    return {
        "list": reverse("endpoints:list", kwargs=kw),
        "edit": reverse("endpoints:edit", kwargs={**kw, "endpoint_id": endpoint.pk}),
        "delete": reverse("endpoints:delete", kwargs={**kw, "endpoint_id": endpoint.pk}),
        "probe": reverse("endpoints:probe", kwargs={**kw, "endpoint_id": endpoint.pk}),
    }


def _login(client, role, team):
    member = MembershipFactory(role=role, team=team)
    client.force_login(member.user)
    return member


def _form(url, **extra):
    data = {"name": "api", "url": url, "kind": "liveness", "interval_s": "60", "timeout_s": "2"}
    data |= {"expected_status": "2xx", "enabled": "on"}
    return data | extra


def test_another_team_gets_404_everywhere(client):
    endpoint = EndpointFactory()
    _login(client, "lead", team=MembershipFactory().team)
    urls = _urls(endpoint)
    assert client.get(urls["list"]).status_code == 404
    assert client.post(urls["list"], _form("http://example.com/")).status_code == 404
    assert client.get(urls["edit"]).status_code == 404
    assert client.post(urls["delete"]).status_code == 404
    assert client.post(urls["probe"]).status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_an_endpoint_of_another_repository_is_404(client):
    endpoint = EndpointFactory()
    member = _login(client, "lead", team=endpoint.repository.team)
    mine = RepositoryFactory(team=member.team)
    url = reverse(
        "endpoints:edit",
        kwargs={"team_slug": member.team.slug, "repo_slug": mine.slug, "endpoint_id": endpoint.pk},
    )
    assert client.get(url).status_code == 404


def test_a_viewer_reads_but_cannot_change(client, allowed_server):
    endpoint = EndpointFactory()
    _login(client, "viewer", team=endpoint.repository.team)
    urls = _urls(endpoint)
    page = client.get(urls["list"])
    assert page.status_code == 200 and endpoint.name in page.content.decode()
    assert "Register an endpoint" not in page.content.decode() and "Probe now" not in page.content.decode()
    assert client.post(urls["list"], _form(allowed_server.url("/health"), name="new")).status_code == 403
    assert client.get(urls["edit"]).status_code == 403
    assert client.post(urls["delete"]).status_code == 403
    assert client.post(urls["probe"]).status_code == 403
    assert Endpoint.objects.count() == 1 and not ProbeRecord.objects.exists()


def test_an_engineer_registers_and_sees_the_guards_reason(client, allowed_server):
    repo = RepositoryFactory()
    _login(client, "engineer", team=repo.team)
    url = reverse("endpoints:list", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})

    refused = client.post(url, _form("http://10.0.0.5/health"))
    assert refused.status_code == 400
    assert (
        "address 10.0.0.5 is in a private range (10.0.0.0/8); an administrator can allow it"
        in refused.content.decode()
    )

    accepted = client.post(
        url, _form(allowed_server.url("/health"), required_keys="database", equals="status = ok")
    )
    assert accepted.status_code == 302
    endpoint = Endpoint.objects.get(repository=repo)
    assert endpoint.expectations == {"required_keys": ["database"], "equals": {"status": "ok"}}


def test_edit_and_delete(client, allowed_server):
    repo = RepositoryFactory()
    _login(client, "engineer", team=repo.team)
    endpoint = EndpointFactory(repository=repo, url=allowed_server.url("/health"))
    urls = _urls(endpoint)
    assert client.get(urls["edit"]).status_code == 200
    response = client.post(
        urls["edit"], _form(allowed_server.url("/ready"), kind="readiness", expected_status="200, 204")
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.kind == "readiness" and endpoint.expected_status == [200, 204]
    assert client.post(urls["delete"]).status_code == 302
    assert not Endpoint.objects.exists()


def test_probe_now_answers_an_htmx_partial(client, allowed_server):
    allowed_server.route("/health", body={"status": "ok"})
    repo = RepositoryFactory()
    _login(client, "engineer", team=repo.team)
    endpoint = EndpointFactory(repository=repo, url=allowed_server.url("/health"))

    response = client.post(_urls(endpoint)["probe"], HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and f'id="endpoint-{endpoint.pk}"' in body
    assert "Probed now: answered 200" in body
    assert ProbeRecord.objects.filter(endpoint=endpoint, ok=True).count() == 1
    # Without htmx: a redirect back to the page.
    assert client.post(_urls(endpoint)["probe"]).status_code == 302


def test_the_page_shows_state_uptime_sparkline_and_incidents(client):
    repo = RepositoryFactory()
    _login(client, "viewer", team=repo.team)
    endpoint = EndpointFactory(repository=repo, state="down")
    now = timezone.now()
    for minutes in (50, 40, 30, 5):  # within the raw window of uptime (not rolled up yet)
        endpoint.probes.create(
            at=now - timedelta(minutes=minutes), ok=minutes != 5, status_code=200, latency_ms=minutes / 10
        )
    endpoint.incidents.create(
        started_at=now - timedelta(minutes=5), error_class="timeout", cause="no answer in 5 s"
    )

    body = client.get(_urls(endpoint)["list"]).content.decode()

    assert '<svg class="spark endpoint-spark"' in body and '<path d="M' in body
    assert "75.00%" in body  # 3 of 4 probes succeeded
    assert "no answer in 5 s" in body and "ongoing" in body
    assert "state-down" in body


def test_the_repository_page_links_to_endpoints(client):
    repo = RepositoryFactory()
    _login(client, "viewer", team=repo.team)
    page = client.get(
        reverse("repository_detail", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})
    )
    assert (
        reverse("endpoints:list", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})
        in page.content.decode()
    )


def test_endpoint_states_for_repositories_in_one_query(django_assert_num_queries):
    up, down, none, unprobed = (
        RepositoryFactory(),
        RepositoryFactory(),
        RepositoryFactory(),
        RepositoryFactory(),
    )
    EndpointFactory(repository=up, state="up")
    EndpointFactory(repository=down, state="up")
    EndpointFactory(repository=down, state="down")
    EndpointFactory(repository=none, state="down", enabled=False)
    EndpointFactory(repository=unprobed, state="unknown")
    ids = [up.pk, down.pk, none.pk, unprobed.pk]
    with django_assert_num_queries(1):
        states = endpoint_states_for_repositories(ids)
    assert states == {up.pk: "up", down.pk: "down", none.pk: "none", unprobed.pk: "none"}


def test_the_page_costs_the_same_queries_for_2_or_12_endpoints(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    repo = RepositoryFactory()
    _login(client, "viewer", team=repo.team)
    url = reverse("endpoints:list", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})
    counts = []
    for total in (2, 12):
        while repo.endpoints.count() < total:
            endpoint = EndpointFactory(repository=repo)
            endpoint.probes.create(at=timezone.now(), ok=True, status_code=200, latency_ms=3.0)
            endpoint.incidents.create(started_at=timezone.now() - timedelta(hours=1), ended_at=timezone.now())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_incidents_for_team_lists_those_overlapping_the_period():
    from readiness.endpoints.selectors import incidents_for_team

    now = timezone.now()
    endpoint = EndpointFactory()
    team = endpoint.repository.team
    before = endpoint.incidents.create(started_at=now - timedelta(days=10), ended_at=now - timedelta(days=9))
    overlapping = endpoint.incidents.create(
        started_at=now - timedelta(days=8), ended_at=now - timedelta(days=6)
    )
    ongoing = endpoint.incidents.create(started_at=now - timedelta(hours=2))
    EndpointFactory().incidents.create(started_at=now - timedelta(days=1))  # another team's
    listed = list(incidents_for_team(team=team, since=now - timedelta(days=7), until=now))
    assert listed == [overlapping, ongoing] and before not in listed


def test_probe_now_is_rate_limited_per_user(client, allowed_server, monkeypatch):
    from readiness.endpoints import views

    monkeypatch.setattr(views, "PROBE_NOW_RATE", (2, 60))
    allowed_server.route("/health")
    repo = RepositoryFactory()
    _login(client, "engineer", team=repo.team)
    endpoint = EndpointFactory(repository=repo, url=allowed_server.url("/health"))
    url = _urls(endpoint)["probe"]

    bodies = [client.post(url, HTTP_HX_REQUEST="true").content.decode() for _ in range(3)]

    assert "Probed now" in bodies[0] and "Probed now" in bodies[1]
    assert "Too many probes; try again in" in bodies[2] and "Probed now" not in bodies[2]
    assert ProbeRecord.objects.filter(endpoint=endpoint).count() == 2
