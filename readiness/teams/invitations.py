"""Invitations: a signed link (expiring, single use) e-mailed to someone a lead wants in the team.

An invitation is bound to the address it was sent to: only an account whose e-mail is that
address may accept it (a verified address, or the account's own e-mail field, which people cannot
change themselves); a new account made from the link gets that address, verified, since the link
proves the person reads its mail. One open invitation per address and team (a database
constraint); accepted, revoked and expired links stop working. Every step is in the audit log.

The e-mail is an outbox row (readiness/core/outbox.py) committed with the invitation or its resend:
a broker outage delays it and loses nothing; the ``teams.invitation_email`` task sends it, retrying
transient SMTP failures with backoff. A resend is a new request, and a request superseded by a later
resend, or whose invitation was accepted, revoked or expired meanwhile, sends nothing.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from readiness.core.outbox import outbox_enqueue, outbox_ensure_held
from readiness.teams.activity import activity_record
from readiness.teams.models import Invitation, Membership
from readiness.teams.services import membership_add

logger = logging.getLogger(__name__)

SALT = "readiness.teams.invitation"
INVITATION_DAYS = 7
EMAIL_TASK = "teams.invitation_email"
# Transient SMTP failures are retried with exponential backoff (30 s, 1 min, ... up to an hour)
# for this many attempts of one send, about four hours in all.
EMAIL_ATTEMPTS = 8
EMAIL_BACKOFF_S, EMAIL_BACKOFF_MAX_S = 30, 3600
RETRYABLE = (smtplib.SMTPException, OSError)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvitationError(Exception):
    """Why an invitation link cannot be used, in words for the person holding it."""


class WrongAccount(InvitationError):
    """The logged-in account is not the one the invitation was sent to."""


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"id": invitation.pk, "email": invitation.email}, salt=SALT)


def invitation_link(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})


def _send_stamp(invitation: Invitation) -> int:
    """Which send of the invitation a request is: its expiry in microseconds (a resend moves it)."""
    return (invitation.expires_at - _EPOCH) // timedelta(microseconds=1)


def _send(invitation: Invitation) -> None:
    """Ask for the e-mail, in the caller's transaction: one outbox row per send of the invitation.
    ``invitation.email_request`` is the row; after commit its ``published`` is False when the broker
    could not be told (the e-mail goes out when the workers are reachable)."""
    stamp = _send_stamp(invitation)
    invitation.email_request = outbox_enqueue(
        task=EMAIL_TASK, args=[invitation.pk, stamp], dedup_key=f"invitation-email:{invitation.pk}:{stamp}"
    )


def invitation_email_waits(invitation: Invitation) -> bool:
    """True when the e-mail asked for could not be handed to the workers yet (the broker is away)."""
    request = getattr(invitation, "email_request", None)
    return request is not None and request.published is False


def _message(invitation: Invitation, stamp: int) -> EmailMessage:
    context = {
        "team": invitation.team,
        "invited_by": invitation.invited_by,
        "email": invitation.email,
        "link": invitation_link(invitation),
        "role": invitation.get_role_display(),
        "days": INVITATION_DAYS,
    }
    domain = urlsplit(settings.SITE_URL).hostname or "readiness.invalid"
    return EmailMessage(
        subject=render_to_string("emails/invitation-subject.txt", context).strip(),
        body=render_to_string("emails/invitation-body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        headers={
            "Auto-Submitted": "auto-generated",
            # The same id on every attempt of one send: a copy that went out twice (a worker that
            # died after the server accepted it) is one message to mail clients.
            "Message-ID": f"<invitation.{invitation.pk}.{stamp}@{domain}>",
        },
    )


def invitation_email_send(*, invitation_id: int, stamp: int, attempt: int = 1) -> float | None:
    """Send one requested invitation e-mail (the outbox task's work). Returns the seconds to wait
    before trying again after a transient SMTP failure, None when there is nothing more to do: sent,
    given up (logged), or not to be sent (the invitation is closed, expired, or was resent since:
    that later request sends it)."""
    invitation = Invitation.objects.select_related("team", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
        logger.info("invitation %s is closed; its e-mail is not sent", invitation_id)
        return None
    if _send_stamp(invitation) != stamp or invitation.expires_at < timezone.now():
        logger.info("invitation %s was resent or expired; this request's e-mail is not sent", invitation_id)
        return None
    message = _message(invitation, stamp)
    outbox_ensure_held()  # a request taken over (this worker froze past its lease) is sent by its new holder
    try:
        message.send(fail_silently=False)
    except RETRYABLE as exc:
        refused = isinstance(exc, smtplib.SMTPRecipientsRefused) and all(
            code >= 500 for code, _ in exc.recipients.values()
        )
        if refused or attempt >= EMAIL_ATTEMPTS:
            logger.error(
                "invitation %s: could not e-mail %s after %s attempt(s), giving up: %s",
                invitation_id,
                invitation.email,
                attempt,
                exc,
            )
            return None
        retry_in = min(EMAIL_BACKOFF_MAX_S, EMAIL_BACKOFF_S * 2 ** (attempt - 1))
        logger.warning("invitation %s: e-mail failed (%s); again in %s s", invitation_id, exc, retry_in)
        return retry_in
    logger.info("invitation %s e-mailed to %s", invitation_id, invitation.email)
    return None


def invitation_email_retry_later(*, invitation_id: int, stamp: int, delay: float) -> None:
    """Arm the send's outbox row again (the task's retry after a transient failure)."""
    outbox_enqueue(
        task=EMAIL_TASK,
        args=[invitation_id, stamp],
        dedup_key=f"invitation-email:{invitation_id}:{stamp}",
        delay=delay,
    )


def invitation_pending(*, team):
    """Open invitations (not accepted, not revoked), expired ones included: a lead resends or
    revokes those."""
    return team.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).select_related(
        "invited_by"
    )


def invitation_create(*, team, email: str, role: str, invited_by) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.filter(team=team, user__email__iexact=email).exists():
        raise InvitationError(f"{email} is already a member of {team.name}.")
    now = timezone.now()
    with transaction.atomic():  # the invitation, its audit entry and its e-mail's request together
        try:
            with transaction.atomic():
                # An expired invitation left open would block a new one: close it first.
                team.invitations.filter(
                    email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lt=now
                ).update(revoked_at=now)
                invitation = Invitation.objects.create(
                    team=team,
                    email=email,
                    role=role,
                    invited_by=invited_by,
                    expires_at=now + timedelta(days=INVITATION_DAYS),
                )
        except IntegrityError:
            raise InvitationError(
                f"{email} already has an open invitation; send it again or revoke it from the list."
            ) from None
        activity_record(
            team=team, actor=invited_by, verb="member.invited", target=email, obj=invitation, role=role
        )
        _send(invitation)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor) -> Invitation:
    """E-mail the link again, valid for another INVITATION_DAYS from now."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvitationError("This invitation is no longer open.")
    old = invitation.expires_at
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["expires_at"])
    activity_record(
        team=invitation.team,
        actor=actor,
        verb="invitation.resent",
        target=invitation.email,
        obj=invitation,
        changes={"expires": (old.date(), invitation.expires_at.date())},
    )
    _send(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> bool:
    """Withdraw an open invitation; its link stops working. False when it was no longer open."""
    closed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if closed:
        activity_record(
            team=invitation.team,
            actor=actor,
            verb="invitation.revoked",
            target=invitation.email,
            obj=invitation,
        )
    return bool(closed)


def invitation_from_token(token: str) -> Invitation:
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=INVITATION_DAYS))
    except signing.SignatureExpired:
        raise InvitationError("This invitation has expired. Ask a team lead for a new one.") from None
    except signing.BadSignature:
        raise InvitationError("This invitation link is not valid.") from None
    invitation = (
        Invitation.objects.select_related("team", "invited_by")
        .filter(pk=data.get("id"), email=data.get("email"))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationError("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used.")
    if invitation.expires_at < timezone.now():
        raise InvitationError("This invitation has expired. Ask a team lead for a new one.")
    return invitation


def user_has_email(user, email: str) -> bool:
    """Does the account own ``email``: one of its verified addresses, or its own e-mail field."""
    email = email.strip().lower()
    if (user.email or "").strip().lower() == email:
        return True
    return EmailAddress.objects.filter(user=user, verified=True, email__iexact=email).exists()


def email_taken(email: str) -> bool:
    """Is ``email`` already some account's address (a new account may not take it)?"""
    from django.contrib.auth import get_user_model

    return (
        get_user_model().objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email, verified=True).exists()
    )


def mark_email_verified(*, user, email: str) -> None:
    """The invitation link reached this address: record it as the account's verified address."""
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    try:
        with transaction.atomic():  # another account holding it verified already keeps it
            if address is None:
                primary = not EmailAddress.objects.filter(user=user, primary=True).exists()
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=primary)
            elif not address.verified:
                address.verified = True
                address.save(update_fields=["verified"])
    except IntegrityError:
        pass


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Add ``user`` to the invitation's team; the link works once, and only for its address."""
    invitation = invitation_from_token(token)
    if not user_has_email(user, invitation.email):
        raise WrongAccount(
            f"This invitation is for {invitation.email}, and you are logged in as "
            f"{user.get_username()}{f' ({user.email})' if user.email else ''}. Log out, then open the "
            "link again to accept it with the invited address."
        )
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if claimed != 1:  # accepted or revoked in another tab or request meanwhile
        raise InvitationError("This invitation has already been used.")
    mark_email_verified(user=user, email=invitation.email)
    existing = Membership.objects.filter(team=invitation.team, user=user).first()
    membership = existing or membership_add(team=invitation.team, user=user, role=invitation.role)
    activity_record(
        team=invitation.team,
        actor=user,
        verb="member.joined",
        target=user.get_username(),
        obj=membership,
        role=membership.get_role_display().lower(),
        invitation=invitation.pk,
    )
    return membership
