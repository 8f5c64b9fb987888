"""Invitation e-mails go through the outbox (readiness/core/outbox.py): a broker outage when a lead
invites someone loses nothing, SMTP failures are retried, and each send goes out once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.celery import app
from readiness.core.models import OutboxMessage, OutboxState
from readiness.core.outbox import outbox_relay
from readiness.teams import invitations
from readiness.teams.models import Invitation
from tests.factories import MembershipFactory
from tests.workers import broker_unreachable, deliver_outbox, running_worker


@pytest.fixture
def lead(db):
    return MembershipFactory(role="lead")


def deliver_due(now=None) -> int:
    return deliver_outbox(task_prefix=invitations.EMAIL_TASK, now=now)


def invite(lead, email="erin@example.com"):
    return invitations.invitation_create(team=lead.team, email=email, role="engineer", invited_by=lead.user)


@pytest.mark.django_db(transaction=True)
def test_an_invitation_made_while_the_broker_is_down_is_e_mailed_once_it_is_back(client, lead, smtp_server):
    client.force_login(lead.user)
    started = time.monotonic()
    with broker_unreachable():
        response = client.post(
            reverse("member_invite", kwargs={"team_slug": lead.team.slug}),
            {"email": "erin@example.com", "role": "engineer"},
        )
    assert response.status_code == 302 and time.monotonic() - started < 10
    page = client.get(response.url).content.decode()
    assert "Invitation sent to erin@example.com; the e-mail goes out when the workers are reachable." in page
    invitation = Invitation.objects.get(email="erin@example.com")
    row = OutboxMessage.objects.get(task=invitations.EMAIL_TASK)
    assert row.state == OutboxState.PENDING and row.publishes == 0, "the publish failed; the row waits"
    assert row.args[0] == invitation.pk and smtp_server.messages == []

    # The broker is back: the relay publishes the row, a worker sends it.
    assert outbox_relay(now=timezone.now() + timedelta(seconds=6)) == 1
    with running_worker("email"):
        deadline = time.monotonic() + 20
        while OutboxMessage.objects.get(pk=row.pk).state != OutboxState.DONE:
            assert time.monotonic() < deadline, "the e-mail was not sent"
            time.sleep(0.05)
        assert outbox_relay(now=timezone.now() + timedelta(minutes=5)) == 0, "done: nothing to relay"
    assert [m["To"] for m in smtp_server.messages] == ["erin@example.com"]
    message = smtp_server.messages[0]
    assert message["Message-ID"].startswith(f"<invitation.{invitation.pk}.")
    assert invitations.invitation_token(invitation).split(":")[0] in message.get_content()


def test_a_failed_invitation_rolls_back_its_e_mail_request(lead):
    invite(lead)
    with pytest.raises(invitations.InvitationError):
        invite(lead)  # one open invitation per address
    assert OutboxMessage.objects.filter(task=invitations.EMAIL_TASK).count() == 1


def test_smtp_down_retries_with_backoff_then_sends_once(lead, smtp_down, smtp_server_later):
    invitation = invite(lead)
    assert deliver_due() == 1
    row = OutboxMessage.objects.get(task=invitations.EMAIL_TASK)
    assert row.state == OutboxState.PENDING and row.attempts == 1, "armed again, not dropped"
    assert row.available_at > timezone.now() + timedelta(seconds=20)
    assert deliver_due() == 0, "not before its backoff"

    server = smtp_server_later()
    later = timezone.now() + timedelta(seconds=40)
    OutboxMessage.objects.filter(pk=row.pk).update(available_at=timezone.now())
    assert deliver_due(later) == 1
    row.refresh_from_db()
    assert row.state == OutboxState.DONE and row.attempts == 2
    assert [m["To"] for m in server.messages] == [invitation.email]
    # A late duplicate of the message (a redelivery, a relay's) finds the row done.
    app.tasks[row.task](*row.args, outbox_id=row.pk)
    assert len(server.messages) == 1


def test_smtp_gives_up_after_the_last_attempt(lead, smtp_down, caplog):
    invite(lead)
    row = OutboxMessage.objects.get(task=invitations.EMAIL_TASK)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=invitations.EMAIL_ATTEMPTS - 1)
    deliver_due()
    row.refresh_from_db()
    assert row.state == OutboxState.DONE and row.attempts == invitations.EMAIL_ATTEMPTS
    assert "giving up" in caplog.text


def test_a_resend_while_the_first_e_mail_waits_sends_one_and_a_revoked_one_sends_none(lead, smtp_server):
    invitation = invite(lead)
    invitations.invitation_resend(invitation=invitation, actor=lead.user)
    assert OutboxMessage.objects.filter(task=invitations.EMAIL_TASK).count() == 2
    assert deliver_due() == 2
    assert len(smtp_server.messages) == 1, "the first request was superseded by the resend"

    other = invite(lead, "frank@example.com")
    invitations.invitation_revoke(invitation=other, actor=lead.user)
    assert deliver_due() == 1
    assert [m["To"] for m in smtp_server.messages] == ["erin@example.com"]


def test_an_e_mail_whose_claim_was_taken_over_is_left_to_its_new_holder(
    lead, smtp_server, settings, monkeypatch
):
    from readiness.core.outbox import outbox_claim
    from readiness.teams.tasks import invitation_email_task

    settings.OUTBOX_LEASE = 600  # no renewal in the test: only the takeover moves the claim
    invite(lead)
    row = OutboxMessage.objects.get(task=invitations.EMAIL_TASK)
    render, taken = invitations._message, []

    def frozen_past_the_lease(*args):
        # This worker froze while rendering: its lease ran out and a redelivery claimed the row.
        OutboxMessage.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        taken.append(outbox_claim(outbox_id=row.pk))
        return render(*args)

    monkeypatch.setattr(invitations, "_message", frozen_past_the_lease)
    assert invitation_email_task(*row.args, outbox_id=row.pk) is None

    assert smtp_server.messages == []  # the new holder sends it, not this worker
    row.refresh_from_db()
    assert row.state == OutboxState.CLAIMED and row.claim_token == taken[0].claim_token
