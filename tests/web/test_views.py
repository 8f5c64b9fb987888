import pytest
from django.urls import reverse

from readiness.repos.models import AnalysisRun, CheckResult, RunStatus, ScoreSnapshot
from tests.factories import AnalysisRunFactory, MembershipFactory, RepositoryFactory, TeamFactory

pytestmark = pytest.mark.django_db


def login(client, membership):
    client.force_login(membership.user)
    return membership


def repo_url(name, repo, **extra):
    return reverse(name, kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug, **extra})


def test_login_required_redirects_to_login(client):
    repo = RepositoryFactory()
    response = client.get(repo_url("repository_detail", repo))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_repository_of_another_team_is_404(client):
    member = login(client, MembershipFactory())
    other_repo = RepositoryFactory()  # in a team the user does not belong to
    assert client.get(repo_url("repository_detail", other_repo)).status_code == 404
    assert client.post(repo_url("analysis_start", other_repo)).status_code == 404
    assert client.get(reverse("team_detail", kwargs={"team_slug": other_repo.team.slug})).status_code == 404
    assert member.team != other_repo.team


def test_run_of_another_repository_is_404(client):
    member = login(client, MembershipFactory())
    repo = RepositoryFactory(team=member.team)
    foreign_run = AnalysisRunFactory()
    assert client.get(repo_url("run_detail", repo, run_id=foreign_run.pk)).status_code == 404


def test_repository_page_full_and_partial(client):
    member = login(client, MembershipFactory())
    repo = RepositoryFactory(team=member.team)
    full = client.get(repo_url("repository_detail", repo))
    assert full.status_code == 200
    assert b"<html" in full.content and b"Run history" in full.content
    partial = client.get(repo_url("repository_detail", repo), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert b'id="run-panel"' in partial.content


def test_analyze_creates_one_queued_run_and_coalesces(client, django_capture_on_commit_callbacks):
    member = login(client, MembershipFactory(role="engineer"))
    repo = RepositoryFactory(team=member.team)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(repo_url("analysis_start", repo), headers={"HX-Request": "true"})
        client.post(repo_url("analysis_start", repo), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b'hx-trigger="every 1s"' in response.content  # the panel polls while queued
    assert AnalysisRun.objects.filter(repository=repo, status=RunStatus.QUEUED).count() == 1
    assert len(callbacks) == 1  # enqueued once, after commit


def test_viewer_cannot_analyze(client):
    member = login(client, MembershipFactory(role="viewer"))
    repo = RepositoryFactory(team=member.team)
    assert client.post(repo_url("analysis_start", repo)).status_code == 403
    assert not AnalysisRun.objects.exists()


def test_run_status_polling_stops_when_finished(client):
    member = login(client, MembershipFactory())
    repo = RepositoryFactory(team=member.team)
    run = AnalysisRunFactory(repository=repo, status=RunStatus.RUNNING)
    url = repo_url("run_detail", repo, run_id=run.pk)
    running = client.get(url, headers={"HX-Request": "true"})
    assert running.status_code == 200 and b"every 1s" in running.content
    run.status = RunStatus.SUCCEEDED
    run.score = 7.5
    run.save()
    CheckResult.objects.create(
        run=run,
        check_id="dockerfile.non_root_user",
        category="security",
        status="fail",
        severity="high",
        title="Runs as a non-root user",
        evidence=[{"file": "Dockerfile", "line": 1, "message": "no USER"}],
    )
    ScoreSnapshot.objects.create(run=run, category="overall", title="Overall", score=7.5)
    ScoreSnapshot.objects.create(run=run, category="security", title="Security", score=4.0)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286
    assert b"every 1s" not in done.content
    assert b"Dockerfile:1" in done.content
    # The run panel shows the automated checks, not a second score; the page's readiness score
    # line refreshes itself on the event.
    assert b"7.5" not in done.content and done["HX-Trigger"] == "run-finished"


def test_team_page_lists_only_own_repositories(client):
    member = login(client, MembershipFactory(role="lead"))
    mine = RepositoryFactory(team=member.team, name="mine-svc", slug="mine-svc")
    RepositoryFactory(team=TeamFactory(), name="theirs-svc", slug="theirs-svc")
    page = client.get(reverse("team_detail", kwargs={"team_slug": member.team.slug}))
    assert mine.name.encode() in page.content
    assert b"theirs-svc" not in page.content


def test_team_page_lists_repositories_a_page_at_a_time(client, django_assert_max_num_queries):
    from readiness.dashboard.views import REPOSITORIES_PER_PAGE

    member = login(client, MembershipFactory(role="viewer"))
    RepositoryFactory.create_batch(REPOSITORIES_PER_PAGE + 1, team=member.team)
    names = sorted(member.team.repositories.values_list("name", flat=True))
    url = reverse("team_detail", kwargs={"team_slug": member.team.slug})
    with django_assert_max_num_queries(12):
        first = client.get(url).content.decode()
    assert f">{names[0]}</a>" in first and f">{names[-2]}</a>" in first and f">{names[-1]}</a>" not in first
    assert f"{len(names)} repositories, by name" in first and "Page 1 of 2" in first
    assert 'href="?page=2"' in first
    last = client.get(url, {"page": 2}).content.decode()
    assert f">{names[-1]}</a>" in last and f">{names[0]}</a>" not in last and 'href="?page=1"' in last
    assert f">{names[-1]}</a>" in client.get(url, {"page": "999"}).content.decode()  # out of range: the last


def test_run_history_pages_go_newer_and_older(client):
    from readiness.repos.views import RUNS_PER_PAGE

    member = login(client, MembershipFactory(role="viewer"))
    repo = RepositoryFactory(team=member.team)
    AnalysisRunFactory.create_batch(RUNS_PER_PAGE + 1, repository=repo)
    first = client.get(repo_url("repository_detail", repo)).content.decode()
    assert (
        'aria-label="Run pages"' in first
        and '<a href="?page=2">Older →</a>' in first
        and "Newer" not in first
    )
    last = client.get(repo_url("repository_detail", repo), {"page": 2}).content.decode()
    assert '<a href="?page=1">← Newer</a>' in last and "Page 2 of 2" in last


def test_home_lists_the_repositories_of_small_teams_only(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from readiness.dashboard.views import HOME_LIST_MAX

    small, large = TeamFactory(name="Small"), TeamFactory(name="Large")
    member = login(client, MembershipFactory(team=small))
    MembershipFactory(team=large, user=member.user)
    RepositoryFactory(team=small, name="small-svc", slug="small-svc")
    RepositoryFactory.create_batch(HOME_LIST_MAX + 1, team=large)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()
    assert ">small-svc</a>" in html
    assert f"<strong>{HOME_LIST_MAX + 1}</strong> repositories" in html
    assert html.count('<table class="table">') == 1  # the large team: its summary, not its list
    # Its rows are not even read: one listing query, the small team's.
    listings = [q["sql"] for q in queries.captured_queries if '"latest_status"' in q["sql"]]
    assert len(listings) == 1 and f"= {small.pk}" in listings[0]


def test_lead_registers_repository_and_bad_url_is_rejected(client, settings):
    settings.READINESS_ALLOW_LOCAL_SOURCES = False
    member = login(client, MembershipFactory(role="lead"))
    url = reverse("team_detail", kwargs={"team_slug": member.team.slug})
    bad = client.post(url, {"name": "x", "url": "ext::sh%20-c%20touch%20/tmp/x", "branch": "main"})
    assert bad.status_code == 400 and b"Only https://" in bad.content
    spaced = client.post(url, {"name": "x", "url": "https://h/x --upload-pack=touch", "branch": "main"})
    assert spaced.status_code == 400 and b"spaces or control characters" in spaced.content
    local = client.post(url, {"name": "x", "url": "/srv/repo", "branch": "main"})
    assert local.status_code == 400 and b"Local folders are not allowed" in local.content
    ok = client.post(url, {"name": "Payments API", "url": "https://git.example.com/p.git", "branch": "main"})
    assert ok.status_code == 302
    assert member.team.repositories.get().slug == "payments-api"


def test_repository_page_shows_its_health_endpoints(client):
    from tests.factories import EndpointFactory

    member = login(client, MembershipFactory(role="viewer"))
    repo = RepositoryFactory(team=member.team)
    EndpointFactory(repository=repo, name="public-liveness")
    page = client.get(repo_url("repository_detail", repo))
    assert b"Health endpoints" in page.content and b"public-liveness" in page.content
    assert b"/probe/" not in page.content  # viewers read; probing now is for engineers
