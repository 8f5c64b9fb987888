"""Invitations: a signed link (expiring, single use) e-mailed to someone a lead wants in the team."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from readiness.teams.activity import activity_record
from readiness.teams.models import Invitation, Membership
from readiness.teams.services import membership_add

SALT = "readiness.teams.invitation"
INVITATION_DAYS = 7


class InvitationError(Exception):
    """Why an invitation link cannot be used, in words for the person holding it."""


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"id": invitation.pk, "email": invitation.email}, salt=SALT)


def invitation_create(*, team, email: str, role: str, invited_by) -> Invitation:
    email = email.strip().lower()
    invitation = Invitation.objects.create(
        team=team,
        email=email,
        role=role,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    activity_record(team=team, actor=invited_by, verb="member.invited", target=email, role=role)
    link = settings.SITE_URL + reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})
    context = {
        "team": team,
        "invited_by": invited_by,
        "link": link,
        "role": invitation.get_role_display(),
        "days": INVITATION_DAYS,
    }
    transaction.on_commit(
        lambda: send_mail(
            render_to_string("emails/invitation-subject.txt", context).strip(),
            render_to_string("emails/invitation-body.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    )
    return invitation


def invitation_from_token(token: str) -> Invitation:
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=INVITATION_DAYS))
    except signing.SignatureExpired:
        raise InvitationError("This invitation has expired. Ask a team lead for a new one.") from None
    except signing.BadSignature:
        raise InvitationError("This invitation link is not valid.") from None
    invitation = (
        Invitation.objects.select_related("team").filter(pk=data.get("id"), email=data.get("email")).first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationError("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used.")
    if invitation.expires_at < timezone.now():
        raise InvitationError("This invitation has expired. Ask a team lead for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Add ``user`` to the invitation's team; the link works once."""
    invitation = invitation_from_token(token)
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if claimed != 1:  # accepted in another tab or request meanwhile
        raise InvitationError("This invitation has already been used.")
    existing = Membership.objects.filter(team=invitation.team, user=user).first()
    membership = existing or membership_add(team=invitation.team, user=user, role=invitation.role)
    activity_record(team=invitation.team, actor=user, verb="member.joined", target=user.get_username())
    return membership
