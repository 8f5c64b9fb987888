"""The team's waiver policy: a longest waiver (90 days by default) in the page, the API and
.readiness.yml skips; the team-wide list; the reminder selector; ending a waiver asks first."""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.api.services import token_create
from readiness.checklists.errors import ChecklistError
from readiness.checklists.models import Waiver
from readiness.checklists.selectors import waivers as selectors
from readiness.checklists.services import applied, records
from readiness.engine.config import load_config
from readiness.pipeline.analysis import analysis_execute
from readiness.repos.models import AnalysisRun, CheckResult
from readiness.teams.models import ActivityEvent
from tests.factories import (
    ChecklistTemplateFactory,
    MembershipFactory,
    RepositoryFactory,
    TemplateItemFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    lead = MembershipFactory(role="lead")
    repo = RepositoryFactory(team=lead.team, name="api", slug="api")
    item = TemplateItemFactory(
        template=ChecklistTemplateFactory(team=lead.team), manual=True, title="Runbook"
    )
    applied.checklist_apply(repository=repo, template=item.template, user=lead.user)
    where = {"repository": repo, "template_slug": item.template.slug, "item_key": item.key, "user": lead.user}
    return lead, repo, item, where


def test_the_service_refuses_a_waiver_past_the_policy(world):
    lead, _repo, _item, where = world
    today = timezone.localdate()
    with pytest.raises(ChecklistError, match=r"at most 90 days: choose .* or earlier"):
        records.waiver_grant(reason="later", expires_on=date(2099, 1, 1), **where)
    records.waiver_grant(reason="ok", expires_on=today + timedelta(days=90), **where)
    lead.team.waiver_max_days = 10
    lead.team.save()
    with pytest.raises(ChecklistError, match="at most 10 days"):
        records.waiver_grant(reason="too long now", expires_on=today + timedelta(days=11), **where)


def test_the_page_shows_the_limit_and_refuses_a_longer_waiver(client, world):
    lead, repo, item, _where = world
    client.force_login(lead.user)
    kwargs = {
        "team_slug": lead.team.slug,
        "repo_slug": repo.slug,
        "template_slug": item.template.slug,
        "item_key": item.key,
    }
    page = client.get(reverse("checklists:item", kwargs=kwargs))  # the item's details, with the form
    latest = (timezone.localdate() + timedelta(days=90)).isoformat()
    assert f'max="{latest}"'.encode() in page.content
    refused = client.post(
        reverse("checklists:waive", kwargs=kwargs),
        {"reason": "x", "expires_on": "2099-12-31"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400 and b"last at most 90 days" in refused.content
    assert not Waiver.objects.exists()


def test_the_api_applies_the_same_policy(client, world):
    lead, repo, item, _where = world
    _, personal = token_create(name="me", created_by=lead.user, user=lead.user)
    url = reverse("api:waiver_create", kwargs={"team_slug": lead.team.slug, "repo_slug": repo.slug})
    body = {"template": item.template.slug, "item": item.key, "reason": "vendor fix due"}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {personal}", "content_type": "application/json"}
    too_long = client.post(url, json.dumps(body | {"expires_on": "2099-01-01"}), **auth)
    assert too_long.status_code == 400 and "at most 90 days" in too_long.json()["detail"]
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    ok = client.post(url, json.dumps(body | {"expires_on": expires}), **auth)
    assert (
        ok.status_code == 201
        and ok.json()["expires_on"] == expires
        and ok.json()["granted_by"] == lead.user.username
    )
    bad = client.post(url, "not json", **auth)
    assert bad.status_code == 400
    _, team_token = token_create(name="ci", created_by=lead.user, team=lead.team)
    ci = client.post(
        url,
        json.dumps(body | {"expires_on": expires}),
        HTTP_AUTHORIZATION=f"Bearer {team_token}",
        content_type="application/json",
    )
    assert ci.status_code == 403


def test_readiness_yml_skips_longer_than_the_policy_are_not_applied(tmp_path):
    (tmp_path / ".readiness.yml").write_text(
        "skip:\n"
        "  - {id: dockerfile.healthcheck, reason: soon, expires: 2027-01-10}\n"
        "  - {id: dockerfile.non_root_user, reason: never, expires: 2099-01-01}\n"
        "  - {id: dockerfile.base_image_pinned, reason: forever}\n"
    )
    today, limit = date(2027, 1, 1), date(2027, 4, 1)
    config = load_config(tmp_path, today=today, skip_expiry_limit=limit)
    assert set(config.skips) == {"dockerfile.healthcheck"}
    assert any(
        "skip of dockerfile.non_root_user not applied: it expires on 2099-01-01" in n for n in config.notes
    )
    assert any(
        "skip of dockerfile.base_image_pinned not applied: it has no expiry" in n for n in config.notes
    )
    # Without a limit (the CLI on a developer's machine) the file is taken as it is.
    assert len(load_config(tmp_path, today=today).skips) == 3


def test_a_run_applies_the_team_policy_to_skips(sample_repo_dir):
    (sample_repo_dir / ".readiness.yml").write_text(
        "skip:\n  - {id: dockerfile.non_root_user, reason: legacy, expires: 2099-01-01}\n"
    )
    repo = RepositoryFactory(url=str(sample_repo_dir))
    run = AnalysisRun.objects.create(repository=repo)
    analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert CheckResult.objects.filter(run=run, check_id="dockerfile.non_root_user").exists()  # it ran
    assert any("skip of dockerfile.non_root_user not applied" in n for n in run.notes)


def test_team_list_reminders_and_policy_change(client, world):
    lead, _repo, item, where = world
    today = timezone.localdate()
    records.waiver_grant(reason="vendor", expires_on=today + timedelta(days=5), **where)
    other = TemplateItemFactory(template=item.template, manual=True, title="Backups")
    records.waiver_grant(
        reason="later", expires_on=today + timedelta(days=60), **(where | {"item_key": other.key})
    )
    soon = selectors.waivers_expiring(lead.team, within_days=14)
    assert [(w.item_title, w.days_left, w.granted_by) for w in soon] == [("Runbook", 5, lead.user)]
    viewer = MembershipFactory(team=lead.team, role="viewer")
    client.force_login(viewer.user)
    page = client.get(reverse("checklists:waivers", kwargs={"team_slug": lead.team.slug})).content.decode()
    assert "Runbook" in page and "Backups" in page and "ends within 14 days" in page
    assert "Waiver policy" not in page  # viewers read, leads set
    assert (
        client.post(
            reverse("checklists:waivers", kwargs={"team_slug": lead.team.slug}), {"waiver_max_days": 5}
        ).status_code
        == 403
    )
    client.force_login(lead.user)
    client.post(reverse("checklists:waivers", kwargs={"team_slug": lead.team.slug}), {"waiver_max_days": 30})
    lead.team.refresh_from_db()
    assert lead.team.waiver_max_days == 30
    event = ActivityEvent.objects.get(verb="waiver.policy_changed")
    assert event.changes == {"longest waiver (days)": [90, 30]}


def test_ending_a_waiver_asks_first(client, world):
    lead, repo, item, where = world
    records.waiver_grant(reason="vendor", expires_on=timezone.localdate() + timedelta(days=5), **where)
    client.force_login(lead.user)
    kwargs = {
        "team_slug": lead.team.slug,
        "repo_slug": repo.slug,
        "template_slug": item.template.slug,
        "item_key": item.key,
    }
    url = reverse("checklists:revoke", kwargs=kwargs)
    confirm = client.get(url)
    assert confirm.status_code == 200 and "End the waiver of “Runbook”" in confirm.content.decode()
    assert "vendor" in confirm.content.decode()
    assert Waiver.objects.get().revoked_at is None
    client.post(url)
    assert Waiver.objects.get().revoked_at is not None
