"""Members, invitations (signed, expiring, single use) and the activity log."""

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from readiness.teams import invitations
from readiness.teams.models import ActivityEvent, Membership
from tests.factories import MembershipFactory, UserFactory
from tests.workers import deliver_outbox

pytestmark = pytest.mark.django_db


def invite(client, lead, email="new@example.com", role="engineer"):
    url = reverse("member_invite", kwargs={"team_slug": lead.team.slug})
    return client.post(url, {"email": email, "role": role})


def link_from(message):
    return next(line for line in message.body.splitlines() if "/invitations/" in line).strip()


def test_a_lead_invites_and_the_link_creates_the_account_once(client):
    lead = MembershipFactory(role="lead")
    client.force_login(lead.user)
    assert invite(client, lead).status_code == 302
    assert deliver_outbox(task_prefix="teams.invitation_email") == 1  # the e-mail is an outbox request
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.com"]
    path = link_from(mail.outbox[0]).split("://", 1)[1].split("/", 1)[1]
    client.logout()
    form = {"username": "newbie", "password1": "a-long-enough-pass-42", "password2": "a-long-enough-pass-42"}
    response = client.post("/" + path, form)
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="newbie")
    assert membership.team == lead.team and membership.role == "engineer"
    client.logout()
    again = client.post("/" + path, form | {"username": "second"})
    assert again.status_code == 410 and b"already been used" in again.content
    assert ActivityEvent.objects.filter(team=lead.team, verb="member.joined").count() == 1


def test_expired_and_forged_links_are_refused(client):
    lead = MembershipFactory(role="lead")
    invitation = invitations.invitation_create(
        team=lead.team, email="x@example.com", role="viewer", invited_by=lead.user
    )
    token = invitations.invitation_token(invitation)
    assert client.get(reverse("invitation_accept", kwargs={"token": token + "x"})).status_code == 410
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        expired = client.get(reverse("invitation_accept", kwargs={"token": token}))
    assert expired.status_code == 410 and b"expired" in expired.content


def test_a_logged_in_user_joins_with_the_invited_role(client):
    lead = MembershipFactory(role="lead")
    user = UserFactory()
    invitation = invitations.invitation_create(
        team=lead.team, email=user.email, role="viewer", invited_by=lead.user
    )
    client.force_login(user)
    url = reverse("invitation_accept", kwargs={"token": invitations.invitation_token(invitation)})
    assert client.post(url).status_code == 302
    assert Membership.objects.get(user=user, team=lead.team).role == "viewer"


def test_only_leads_invite_change_roles_or_read_the_activity(client):
    engineer = MembershipFactory(role="engineer")
    other = MembershipFactory(team=engineer.team, role="viewer")
    client.force_login(engineer.user)
    assert invite(client, engineer).status_code == 403
    role_url = reverse("member_role", kwargs={"team_slug": engineer.team.slug, "membership_id": other.pk})
    assert client.post(role_url, {"role": "lead"}).status_code == 403
    assert client.get(reverse("activity", kwargs={"team_slug": engineer.team.slug})).status_code == 403
    assert client.get(reverse("members", kwargs={"team_slug": engineer.team.slug})).status_code == 200


def test_the_last_lead_cannot_leave_or_step_down(client):
    lead = MembershipFactory(role="lead")
    client.force_login(lead.user)
    remove = reverse("member_remove", kwargs={"team_slug": lead.team.slug, "membership_id": lead.pk})
    assert client.post(remove).status_code == 409
    role = reverse("member_role", kwargs={"team_slug": lead.team.slug, "membership_id": lead.pk})
    assert client.post(role, {"role": "engineer"}).status_code == 409
    lead.refresh_from_db()
    assert lead.role == "lead"
    second = MembershipFactory(team=lead.team, role="lead")
    assert client.post(remove).status_code == 302
    assert list(Membership.objects.filter(team=lead.team)) == [second]


def test_members_of_another_team_are_404(client):
    lead = MembershipFactory(role="lead")
    stranger = MembershipFactory(role="engineer")
    client.force_login(lead.user)
    url = reverse("member_remove", kwargs={"team_slug": lead.team.slug, "membership_id": stranger.pk})
    assert client.post(url).status_code == 404
    assert client.get(reverse("members", kwargs={"team_slug": stranger.team.slug})).status_code == 404


def test_activity_log_records_and_filters(client, django_capture_on_commit_callbacks):
    lead = MembershipFactory(role="lead")
    client.force_login(lead.user)
    team_url = reverse("team_detail", kwargs={"team_slug": lead.team.slug})
    with django_capture_on_commit_callbacks(execute=False):
        client.post(team_url, {"name": "svc", "url": "https://git.example.com/svc.git", "branch": "main"})
        invite(client, lead)
    activity = reverse("activity", kwargs={"team_slug": lead.team.slug})
    page = client.get(activity)
    who = lead.user.get_username()
    assert f"{who} registered the repository svc.".encode() in page.content
    assert f"{who} invited new@example.com as Engineer.".encode() in page.content
    assert b"<code>member.invited" not in page.content  # sentences, not codes
    filtered = client.get(activity, {"verb": "member.invited"})
    assert b"invited new@example.com" in filtered.content
    assert b"registered the repository" not in filtered.content


def test_ticks_waivers_and_undos_are_in_the_activity_log():
    from datetime import date, timedelta

    from readiness.checklists.services.applied import checklist_apply
    from readiness.checklists.services.records import (
        attestation_record,
        attestation_undo,
        waiver_grant,
        waiver_revoke,
    )
    from tests.factories import ChecklistTemplateFactory, RepositoryFactory, TemplateItemFactory

    lead = MembershipFactory(role="lead")
    repo = RepositoryFactory(team=lead.team)
    item = TemplateItemFactory(template=ChecklistTemplateFactory(team=lead.team), manual=True)
    checklist_apply(repository=repo, template=item.template, user=lead.user)
    where = {"repository": repo, "template_slug": item.template.slug, "item_key": item.key, "user": lead.user}
    attestation_record(checked=True, **where)
    attestation_undo(**where)
    waiver_grant(reason="not this quarter", expires_on=date.today() + timedelta(days=30), **where)
    waiver_revoke(**where)
    verbs = list(ActivityEvent.objects.filter(team=lead.team).order_by("id").values_list("verb", flat=True))
    assert verbs == ["checklist.applied", "item.ticked", "item.undone", "item.waived", "waiver.revoked"]
