"""Invitations are bound to the invited address; pending list, resend, revoke; one open per address."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from readiness.teams import invitations
from readiness.teams.models import ActivityEvent, Invitation, Membership
from tests.factories import MembershipFactory, UserFactory
from tests.workers import deliver_outbox

pytestmark = pytest.mark.django_db


def accept_url(invitation):
    return reverse("invitation_accept", kwargs={"token": invitations.invitation_token(invitation)})


@pytest.fixture
def lead():
    return MembershipFactory(role="lead")


def invite(lead, email="erin@example.com", role="engineer"):
    return invitations.invitation_create(team=lead.team, email=email, role=role, invited_by=lead.user)


def test_the_lead_of_another_team_cannot_accept_someone_elses_invitation(client, lead):
    invitation = invite(lead)
    other_lead = MembershipFactory(role="lead").user  # logged in, another address
    client.force_login(other_lead)
    page = client.get(accept_url(invitation))
    assert page.status_code == 200
    text = page.content.decode()
    assert "This invitation is for <strong>erin@example.com</strong>" in text
    assert "this account cannot accept it" in text
    assert 'action="/accounts/logout/"' in text and "Log out, then accept as erin@example.com" in text
    refused = client.post(accept_url(invitation))
    assert refused.status_code == 403
    assert not Membership.objects.filter(team=lead.team, user=other_lead).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None  # still usable by erin


def test_the_invited_address_joins_and_its_address_becomes_verified(client, lead):
    erin = UserFactory(email="Erin@Example.com")
    invitation = invite(lead)
    client.force_login(erin)
    assert client.post(accept_url(invitation)).status_code == 302
    assert Membership.objects.get(team=lead.team, user=erin).role == "engineer"
    assert EmailAddress.objects.get(user=erin).verified
    # A verified address other than the account's e-mail field also counts.
    second = invite(lead, email="erin.alias@example.com")
    EmailAddress.objects.create(user=erin, email="erin.alias@example.com", verified=True, primary=False)
    Membership.objects.filter(team=lead.team, user=erin).delete()
    assert client.post(accept_url(second)).status_code == 302


def test_a_new_account_gets_the_invited_address(client, lead):
    invitation = invite(lead, email="new@example.com")
    form = {"username": "newbie", "password1": "a-long-enough-pass-42", "password2": "a-long-enough-pass-42"}
    response = client.post(accept_url(invitation), form | {"email": "attacker@example.com"})
    assert response.status_code == 302
    user = Membership.objects.get(team=lead.team, user__username="newbie").user
    assert user.email == "new@example.com"
    assert EmailAddress.objects.filter(user=user, email="new@example.com", verified=True).exists()


def test_an_address_with_an_account_must_log_in(client, lead):
    UserFactory(email="taken@example.com")
    invitation = invite(lead, email="taken@example.com")
    page = client.get(accept_url(invitation))
    assert b"An account with this address exists already" in page.content
    form = {"username": "dup", "password1": "a-long-enough-pass-42", "password2": "a-long-enough-pass-42"}
    client.post(accept_url(invitation), form)
    assert not Membership.objects.filter(user__username="dup").exists()


def test_one_open_invitation_per_address_and_team(client, lead):
    invite(lead, email="x@example.com")
    with pytest.raises(invitations.InvitationError, match="already has an open invitation"):
        invite(lead, email="X@example.com")
    with pytest.raises(IntegrityError):  # the database refuses it too, whatever the code path
        Invitation.objects.create(
            team=lead.team, email="X@EXAMPLE.com", role="viewer", expires_at="2099-01-01T00:00Z"
        )


def test_pending_list_resend_and_revoke(client, lead):
    client.force_login(lead.user)
    invitation = invite(lead)
    assert deliver_outbox(task_prefix="teams.invitation_email") == 1  # the e-mail is an outbox request
    members = client.get(reverse("members", kwargs={"team_slug": lead.team.slug})).content.decode()
    assert "erin@example.com" in members and "Send again" in members and "Revoke" in members
    kwargs = {"team_slug": lead.team.slug, "invitation_id": invitation.pk}
    assert client.post(reverse("invitation_resend", kwargs=kwargs)).status_code == 302
    assert deliver_outbox(task_prefix="teams.invitation_email") == 1  # a resend is a request of its own
    assert [m.to for m in mail.outbox] == [["erin@example.com"], ["erin@example.com"]]
    assert "only an account with this address can accept it" in mail.outbox[1].body
    confirm = client.get(reverse("invitation_revoke", kwargs=kwargs))
    assert confirm.status_code == 200 and b"Revoke the invitation of erin@example.com" in confirm.content
    invitation.refresh_from_db()
    assert invitation.revoked_at is None  # the GET only asks
    assert client.post(reverse("invitation_revoke", kwargs=kwargs)).status_code == 302
    client.logout()
    gone = client.get(accept_url(invitation))
    assert gone.status_code == 410 and b"withdrawn" in gone.content
    verbs = list(ActivityEvent.objects.filter(team=lead.team).order_by("id").values_list("verb", flat=True))
    assert verbs == ["member.invited", "invitation.resent", "invitation.revoked"]
    # Revoked, the address can be invited again.
    invite(lead)


def test_an_accepted_link_stops_working(client, lead):
    erin = UserFactory(email="erin@example.com")
    invitation = invite(lead)
    client.force_login(erin)
    client.post(accept_url(invitation))
    again = client.post(accept_url(invitation))
    assert again.status_code == 410 and b"already been used" in again.content
    event = ActivityEvent.objects.get(team=lead.team, verb="member.joined")
    assert event.actor == erin and event.details["role"] == "engineer"


def test_inviting_a_member_is_refused(lead):
    member = MembershipFactory(team=lead.team, role="viewer")
    with pytest.raises(invitations.InvitationError, match="already a member"):
        invite(lead, email=member.user.email)


def test_log_out_then_accept_with_the_invited_address(client, lead):
    invitation = invite(lead, email="erin@example.com")
    client.force_login(MembershipFactory(role="lead").user)
    link = accept_url(invitation)  # once: the signed token carries the time it was made
    out = client.post(reverse("logout"), {"next": link})
    assert out.status_code == 302 and out["Location"] == link
    page = client.get(out["Location"])
    assert (
        b"Create the account and join" in page.content
        and b"its e-mail address is erin@example.com" in page.content
    )
