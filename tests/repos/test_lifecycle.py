"""A repository's lifecycle: rename, archive (hidden, history kept, restorable), delete (typed name,
data removed, activity kept), names unique within a team."""

import json

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist
from readiness.endpoints.models import Endpoint
from readiness.endpoints.services import probes_dispatch_due
from readiness.pipeline.registration import repository_register
from readiness.repos import lifecycle, services
from readiness.repos.models import AnalysisRun, CheckResult, Repository
from readiness.teams.activity import activity_sentence
from readiness.teams.models import ActivityEvent
from tests.factories import AnalysisRunFactory, EndpointFactory, MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def url(name, repo, **extra):
    return reverse(name, kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug, **extra})


@pytest.fixture
def lead(client):
    member = MembershipFactory(role="lead", user__username="erin")
    client.force_login(member.user)
    return member


@pytest.fixture
def repo(lead):
    repository = repository_register(team=lead.team, name="api", url="https://example.com/api.git")
    AnalysisRunFactory(repository=repository, status="succeeded", finished_at=timezone.now(), score=7.5)
    return repository


def last_sentence(team):
    return activity_sentence(ActivityEvent.objects.filter(team=team).order_by("-id").first())


# Names ------------------------------------------------------------------------------------------


def test_names_are_unique_within_a_team_whatever_the_case(lead):
    RepositoryFactory(team=lead.team, name="api", slug="api")
    with pytest.raises(IntegrityError), transaction.atomic():
        RepositoryFactory(team=lead.team, name="API", slug="api-2")
    RepositoryFactory(name="api", slug="api")  # another team may use it


def test_registering_a_taken_name_is_a_form_error(client, lead, repo):
    response = client.post(
        reverse("team_detail", kwargs={"team_slug": lead.team.slug}),
        {"name": "API", "url": "https://example.com/other.git", "branch": "main"},
    )
    assert response.status_code == 400
    assert "already has a repository named “API”" in response.content.decode()
    assert Repository.objects.filter(team=lead.team).count() == 1


def test_register_service_refuses_a_taken_name(lead, repo):
    with pytest.raises(lifecycle.RepositoryNameTaken):
        repository_register(team=lead.team, name="Api", url="https://example.com/x.git")


# Rename -----------------------------------------------------------------------------------------


def test_rename_moves_the_slug_and_reads_as_a_sentence(client, lead, repo):
    response = client.post(url("repository_rename", repo), {"name": "API Gateway"})
    assert response.status_code == 302
    repo.refresh_from_db()
    assert (repo.name, repo.slug) == ("API Gateway", "api-gateway")
    assert response["Location"] == url("repository_settings", repo)
    assert last_sentence(lead.team) == "erin renamed the repository api: name api → API Gateway."
    assert client.get(url("repository_detail", repo)).status_code == 200
    assert repo.runs.count() == 1  # history kept


def test_rename_to_a_taken_name_shows_the_error_in_place(client, lead, repo):
    other = repository_register(team=lead.team, name="web", url="https://example.com/web.git")
    response = client.post(url("repository_rename", other), {"name": "Api"})
    assert response.status_code == 400
    assert "already has a repository named “Api”" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "web"
    # Changing only the case of its own name is allowed.
    assert client.post(url("repository_rename", repo), {"name": "API"}).status_code == 302
    repo.refresh_from_db()
    assert repo.name == "API"


def test_rename_service_turns_a_racing_namesake_into_name_taken(lead, repo, monkeypatch):
    monkeypatch.setattr(lifecycle, "repository_name_taken", lambda **kwargs: False)
    other = RepositoryFactory(team=lead.team, name="web", slug="web")
    with pytest.raises(lifecycle.RepositoryNameTaken):
        lifecycle.repository_rename(repository=other, name="API")
    other.refresh_from_db()
    assert other.name == "web"


# Archive and restore ----------------------------------------------------------------------------


def test_archive_asks_first_then_hides_and_keeps_history(client, lead, repo):
    confirm = client.get(url("repository_archive", repo))
    assert confirm.status_code == 200
    assert "Archive api?" in confirm.content.decode()
    assert Repository.objects.get(pk=repo.pk).archived_at is None  # the GET changed nothing
    response = client.post(url("repository_archive", repo))
    assert response.status_code == 302
    repo.refresh_from_db()
    assert repo.is_archived and repo.runs.count() == 1
    assert repo.schedule.enabled is False  # scheduled analyses paused
    assert last_sentence(lead.team) == "erin archived the repository api."

    team_page = client.get(reverse("team_detail", kwargs={"team_slug": lead.team.slug})).content.decode()
    assert url("repository_detail", repo) not in team_page
    dashboard = client.get(reverse("dashboard:team", kwargs={"team_slug": lead.team.slug})).content.decode()
    assert url("repository_detail", repo) not in dashboard
    archived = client.get(reverse("repositories_archived", kwargs={"team_slug": lead.team.slug}))
    assert "Restore api" in archived.content.decode()
    page = client.get(url("repository_detail", repo)).content.decode()
    assert "data-archived" in page and 'action="' + url("analysis_start", repo) + '"' not in page


def test_an_archived_repository_starts_no_analysis(client, lead, repo):
    lifecycle.repository_archive(repository=repo)
    with pytest.raises(services.RepositoryArchived):
        services.analysis_request(repository=repo)
    response = client.post(url("analysis_start", repo))
    assert response.status_code == 302
    assert repo.runs.count() == 1
    htmx = client.post(url("analysis_start", repo), HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == url("repository_detail", repo)
    assert services.analysis_request_scheduled(repository_id=repo.pk) is None
    assert repo.runs.count() == 1


def test_an_archived_repository_ignores_pushes(client, lead, repo):
    import hashlib
    import hmac

    secret = services.webhook_secret_rotate(repository=repo)
    lifecycle.repository_archive(repository=repo)
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        reverse("webhook", kwargs={"webhook_id": repo.webhook_id}),
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature, "X-GitHub-Event": "push", "X-GitHub-Delivery": "d1"},
    )
    assert response.status_code == 200
    assert response.json()["detail"] == "ignored: the repository is archived"
    assert repo.runs.count() == 1


def test_archived_endpoints_are_not_probed(lead, repo):
    endpoint = EndpointFactory(repository=repo, next_probe_at=timezone.now())
    lifecycle.repository_archive(repository=repo)
    assert probes_dispatch_due(enqueue=lambda batch: None) == []
    lifecycle.repository_restore(repository=repo)
    assert probes_dispatch_due(enqueue=lambda batch: None) == [endpoint.pk]


def test_archived_repositories_leave_the_api_list_and_the_weekly_report(lead, repo):
    from readiness.api.selectors import repository_list_for_teams
    from readiness.dashboard.selectors import team_summaries
    from readiness.reports.selectors import report_build

    RepositoryFactory(team=lead.team, name="web", slug="web")
    lifecycle.repository_archive(repository=repo)
    assert [r.name for r in repository_list_for_teams(teams=[lead.team])] == ["web"]
    assert team_summaries(teams=[lead.team])[0]["count"] == 1
    report = json.dumps(report_build(team=lead.team), default=str)
    assert '"api"' not in report


def test_restore_brings_it_back(client, lead, repo):
    lifecycle.repository_archive(repository=repo)
    response = client.post(url("repository_restore", repo))
    assert response.status_code == 302
    repo.refresh_from_db()
    assert not repo.is_archived and repo.schedule.enabled is True
    assert last_sentence(lead.team) == "erin restored the archived repository api."
    team_page = client.get(reverse("team_detail", kwargs={"team_slug": lead.team.slug})).content.decode()
    assert url("repository_detail", repo) in team_page


# Delete -----------------------------------------------------------------------------------------


def test_delete_needs_the_name_typed(client, lead, repo):
    page = client.get(url("repository_delete", repo))
    assert page.status_code == 200
    assert "Delete api?" in page.content.decode() and "1 analysis run " in page.content.decode()
    wrong = client.post(url("repository_delete", repo), {"confirm_name": "ap"})
    assert wrong.status_code == 400
    assert "Type “api” exactly" in wrong.content.decode()
    assert client.post(url("repository_delete", repo), {}).status_code == 400
    assert Repository.objects.filter(pk=repo.pk).exists()


def test_delete_removes_the_data_and_records_it(client, lead, repo):
    run = repo.runs.get()
    CheckResult.objects.create(run=run, check_id="x", category="c", status="pass", severity="low", title="t")
    EndpointFactory(repository=repo)
    schedule_id = repo.schedule_id
    assert AppliedChecklist.objects.filter(repository=repo).exists()
    response = client.post(url("repository_delete", repo), {"confirm_name": "api"})
    assert response.status_code == 302
    assert response["Location"] == reverse("team_detail", kwargs={"team_slug": lead.team.slug})
    assert not Repository.objects.filter(pk=repo.pk).exists()
    assert not AnalysisRun.objects.filter(pk=run.pk).exists()
    assert not CheckResult.objects.filter(run_id=run.pk).exists()
    assert not Endpoint.objects.filter(repository_id=repo.pk).exists()
    assert not AppliedChecklist.objects.filter(repository_id=repo.pk).exists()
    from django_celery_beat.models import PeriodicTask

    assert not PeriodicTask.objects.filter(pk=schedule_id).exists()
    event = ActivityEvent.objects.filter(team=lead.team).order_by("-id").first()
    assert activity_sentence(event) == "erin deleted the repository api."
    assert (event.object_type, event.object_id, event.details["runs"]) == (
        "repos.repository",
        str(repo.pk),
        1,
    )
    # The name is free again.
    repository_register(team=lead.team, name="api", url="https://example.com/api.git")


@pytest.mark.parametrize("role", ["viewer", "engineer"])
def test_only_leads_may_rename_archive_or_delete(client, role, repo):
    member = MembershipFactory(team=repo.team, role=role)
    client.force_login(member.user)
    assert client.post(url("repository_rename", repo), {"name": "x"}).status_code == 403
    assert client.post(url("repository_archive", repo)).status_code == 403
    assert client.post(url("repository_delete", repo), {"confirm_name": "api"}).status_code == 403
    lifecycle.repository_archive(repository=repo)
    assert client.post(url("repository_restore", repo)).status_code == 403
    archived = client.get(reverse("repositories_archived", kwargs={"team_slug": repo.team.slug}))
    assert archived.status_code == 200
    assert "api" in archived.content.decode() and "Restore api" not in archived.content.decode()


def test_migration_renames_existing_namesakes():
    """The constraint's migration first renames later namesakes (any case) within a team."""
    from importlib import import_module
    from types import SimpleNamespace

    migration = import_module("readiness.repos.migrations.0007_repository_lifecycle")
    rows = [
        SimpleNamespace(team_id=1, name="api", saved=False),
        SimpleNamespace(team_id=1, name="API", saved=False),
        SimpleNamespace(team_id=1, name="api (2)", saved=False),
        SimpleNamespace(team_id=2, name="api", saved=False),
    ]
    for row in rows:
        row.save = lambda update_fields, row=row: setattr(row, "saved", True)

    class Rows(list):
        def only(self, *fields):
            return self

        def order_by(self, *fields):
            return self

    fake_apps = SimpleNamespace(get_model=lambda app, model: SimpleNamespace(objects=Rows(rows)))
    migration.rename_duplicate_names(fake_apps, None)
    assert [(r.team_id, r.name, r.saved) for r in rows] == [
        (1, "api", False),
        (1, "API (3)", True),
        (1, "api (2)", False),
        (2, "api", False),
    ]
