"""The audit log: who, when, from where (behind the configured proxies), what, old -> new; as
sentences, filtered, paginated, as CSV; pruned after the retention; an instance-wide view."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from readiness.api.services import token_create
from readiness.teams import services
from readiness.teams.activity import activity_record, activity_sentence
from readiness.teams.models import ActivityEvent
from tests.factories import EndpointFactory, MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return MembershipFactory(role="lead")


def sentences(team):
    return [activity_sentence(e) for e in ActivityEvent.objects.filter(team=team).order_by("id")]


def test_role_change_reads_old_to_new_with_the_address_behind_the_proxy(client, lead, settings):
    settings.RATE_LIMIT_PROXY_COUNT = 1
    bob = MembershipFactory(team=lead.team, role="engineer", user__username="bob")
    client.force_login(lead.user)
    url = reverse("member_role", kwargs={"team_slug": lead.team.slug, "membership_id": bob.pk})
    # The client forged the first entry; the trusted proxy appended the real address.
    client.post(url, {"role": "lead"}, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    event = ActivityEvent.objects.get(verb="member.role_changed")
    assert event.ip == "203.0.113.9"
    assert event.changes == {"role": ["engineer", "lead"]}
    assert event.object_type == "teams.membership" and event.object_id == str(bob.pk)
    assert activity_sentence(event) == f"{lead.user.username} changed the role of bob: role Engineer → Lead."


def test_without_a_proxy_the_connection_address_counts(client, lead, settings):
    settings.RATE_LIMIT_PROXY_COUNT = 0
    client.force_login(lead.user)
    client.post(
        reverse("member_invite", kwargs={"team_slug": lead.team.slug}),
        {"email": "z@example.com", "role": "viewer"},
        HTTP_X_FORWARDED_FOR="6.6.6.6",
        REMOTE_ADDR="192.0.2.7",
    )
    assert ActivityEvent.objects.get(verb="member.invited").ip == "192.0.2.7"


def test_security_events_of_the_other_apps_are_recorded(client, lead, django_capture_on_commit_callbacks):
    from readiness.checklists.services import applied, records
    from readiness.endpoints import services as endpoints
    from readiness.repos import services as repos
    from tests.factories import ChecklistTemplateFactory, TemplateItemFactory

    team, who = lead.team, lead.user.username
    repo = RepositoryFactory(team=team, name="api")
    token, _ = token_create(name="ci", created_by=lead.user, team=team)
    from readiness.api.services import token_revoke

    token_revoke(token=token, actor=lead.user)
    token_revoke(token=token, actor=lead.user)  # twice: one entry
    repos.webhook_secret_rotate(repository=repo, actor=lead.user)
    repos.repository_update_source(
        repository=repo, url="https://git.example.com/b.git", branch="dev", actor=lead.user
    )
    from readiness.core.models import AllowedNetwork

    AllowedNetwork.objects.create(target="127.0.0.1", port=9, reason="test", added_by="tests")
    endpoint = EndpointFactory(repository=repo, name="health")
    endpoints.endpoint_update(endpoint=endpoint, actor=lead.user, interval_s=300)
    endpoints.endpoint_delete(endpoint=endpoint, actor=lead.user)
    item = TemplateItemFactory(template=ChecklistTemplateFactory(team=team), manual=True, key="runbook")
    applied.checklist_apply(repository=repo, template=item.template, user=lead.user)
    records.note_add(
        repository=repo, template_slug=item.template.slug, item_key="runbook", text="see wiki", user=lead.user
    )
    with django_capture_on_commit_callbacks(execute=False):
        repos.analysis_request(repository=repo, trigger="api", user=None, api_token=token)
    got = sentences(team)
    assert f"{who} created the API token ci ({token.prefix}…)." in got
    assert f"{who} revoked the API token ci ({token.prefix}…)." in got
    assert sum("revoked the API token" in s for s in got) == 1
    assert f"{who} rotated the webhook secret of api." in got
    assert any(
        s.startswith(f"{who} changed the settings of api: branch main → dev; url /nonexistent → https://")
        for s in got
    )
    assert f"{who} changed the health endpoint api: health: interval s 60 → 300." in got
    assert f"{who} deleted the health endpoint api: health." in got
    assert f"{who} added a note on api: runbook: “see wiki”" in got
    assert f"API token ci ({token.prefix}…) started an analysis of api through the API." in got


def test_filters_pages_and_csv(client, lead):
    client.force_login(lead.user)
    other = MembershipFactory(team=lead.team, role="engineer", user__username="zed")
    long_ago = timezone.now() - timedelta(days=40)
    with time_machine.travel(long_ago, tick=False):
        activity_record(team=lead.team, actor=other.user, verb="item.ticked", target='=HYPERLINK("x")')
    for n in range(55):
        activity_record(team=lead.team, actor=lead.user, verb="run.triggered", target=f"svc-{n}")
    url = reverse("activity", kwargs={"team_slug": lead.team.slug})
    first = client.get(url)
    assert b"Page 1 of 2" in first.content
    by_actor = client.get(url, {"actor": "zed"})
    assert by_actor.content.count(b"zed ticked") == 1 and b"svc-1" not in by_actor.content
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    recent = client.get(url, {"since": since, "verb": "item.ticked"})
    assert b"zed ticked" not in recent.content
    bad = client.get(url, {"since": "2026-02-01", "until": "2026-01-01"})
    assert bad.status_code == 400 and b"The start date is after the end date" in bad.content
    export = client.get(reverse("activity_export", kwargs={"team_slug": lead.team.slug}), {"actor": "zed"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:5] == ["time", "team", "actor", "ip", "action"]
    assert len(rows) == 2 and rows[1][2] == "zed" and rows[1][4] == "item.ticked"
    assert rows[1][7].startswith("'=")  # no formula for a spreadsheet to run
    engineer = MembershipFactory(team=lead.team, role="engineer")
    client.force_login(engineer.user)
    assert client.get(reverse("activity_export", kwargs={"team_slug": lead.team.slug})).status_code == 403


def test_retention_prunes_old_entries(lead, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    with time_machine.travel(timezone.now() - timedelta(days=31), tick=False):
        activity_record(team=lead.team, actor=lead.user, verb="run.triggered", target="old")
    activity_record(team=lead.team, actor=lead.user, verb="run.triggered", target="new")
    assert services.activity_prune() == 1
    assert list(ActivityEvent.objects.values_list("target", flat=True)) == ["new"]
    settings.AUDIT_RETENTION_DAYS = 0
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert services.activity_prune() == 0


def test_administrators_see_every_team_and_instance_wide_events(client, lead):
    other = MembershipFactory(role="lead")
    activity_record(team=lead.team, actor=lead.user, verb="run.triggered", target="svc-a")
    activity_record(team=other.team, actor=other.user, verb="run.triggered", target="svc-b")
    activity_record(team=None, actor=other.user, verb="sso.login", target="https://idp sub-1")
    admin = MembershipFactory(role="viewer").user
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    page = client.get(reverse("audit")).content.decode()
    assert "svc-a" in page and "svc-b" in page and "signed in through single sign-on" in page
    only = client.get(reverse("audit"), {"team": other.team.slug}).content.decode()
    assert "svc-b" in only and "svc-a" not in only
    # A team lead's own log shows neither the other team's entries nor instance-wide ones.
    client.force_login(lead.user)
    mine = client.get(reverse("activity", kwargs={"team_slug": lead.team.slug})).content.decode()
    assert "svc-a" in mine and "svc-b" not in mine and "https://idp sub-1" not in mine


def test_a_deleted_actor_is_still_named(lead):
    from tests.factories import UserFactory

    gone = UserFactory(username="gone")
    event = activity_record(team=lead.team, actor=gone, verb="run.triggered", target="svc")
    gone.delete()
    event.refresh_from_db()
    assert activity_sentence(event) == "gone started an analysis of svc."


def test_unknown_verbs_are_refused(lead):
    with pytest.raises(ValueError):
        activity_record(team=lead.team, actor=None, verb="member.role_changd")
