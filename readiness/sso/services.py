"""Single sign-on write logic: audit entries and auto-join by e-mail domain or IdP group."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from readiness.teams.activity import activity_record
from readiness.teams.models import Invitation, Membership, Team

logger = logging.getLogger(__name__)


def _claims(sociallogin) -> dict:
    """The ID token's claims, overlaid with the userinfo answer (allauth keeps both)."""
    data = sociallogin.account.extra_data or {}
    claims = dict(data.get("id_token") or {})
    claims.update(data.get("userinfo") or {})
    return claims


def matching_rules(*, claims: dict, rules: list[dict]) -> list[dict]:
    """The auto-join rules that apply: a domain rule needs an e-mail the IdP says is verified."""
    email = str(claims.get("email") or "").lower()
    verified = claims.get("email_verified") in (True, "true", "True")
    domain = email.rpartition("@")[2] if "@" in email and verified else ""
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    groups = {str(g) for g in groups}
    return [
        rule
        for rule in rules
        if (rule["kind"] == "domain" and rule["value"] == domain)
        or (rule["kind"] == "group" and rule["value"] in groups)
    ]


def _subject(claims: dict, sociallogin) -> str:
    return f"{claims.get('iss', '')} {sociallogin.account.uid}".strip()


def sso_signup_record(*, user, sociallogin) -> None:
    """An account made by a first single sign-on (allauth's user_signed_up)."""
    activity_record(
        team=None,
        actor=user,
        verb="sso.account_created",
        target=_subject(_claims(sociallogin), sociallogin),
        obj=user,
        email=user.email,
    )


@transaction.atomic
def sso_login_record(*, user, sociallogin) -> list[Membership]:
    """Record the login; join the teams whose rules match, with the rule's role. An existing
    membership is never changed (a lead's decision wins over the IdP's groups)."""
    claims = _claims(sociallogin)
    activity_record(team=None, actor=user, verb="sso.login", target=_subject(claims, sociallogin), obj=user)
    joined = []
    for rule in matching_rules(claims=claims, rules=settings.OIDC_AUTO_JOIN):
        team = Team.objects.filter(slug=rule["team"]).first()
        if team is None:
            logger.warning("OIDC_AUTO_JOIN names team %r, which does not exist", rule["team"])
            continue
        membership, created = Membership.objects.get_or_create(
            team=team, user=user, defaults={"role": rule["role"]}
        )
        if not created:
            continue
        joined.append(membership)
        # Joining this way answers any invitation still open for the address.
        Invitation.objects.filter(
            team=team, email__iexact=user.email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(accepted_at=membership.created_at, accepted_by=user)
        label = f"{rule['kind']} {rule['value']}"
        activity_record(
            team=team,
            actor=user,
            verb="member.auto_joined",
            target=user.get_username(),
            obj=membership,
            role=rule["role"],
            rule=label,
        )
    return joined
