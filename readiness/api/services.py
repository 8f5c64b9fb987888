"""Write logic for API tokens: create (the plaintext is returned once, never stored), revoke, use."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from readiness.api.models import ApiToken
from readiness.teams.activity import activity_record

TOKEN_PREFIX = "rdy_"  # noqa: S105 - a public marker, not a secret
PREFIX_SHOWN = len(TOKEN_PREFIX) + 8
# last_used_at is a hint for people, not an audit log: write it at most once a minute per token,
# so a busy CI job does not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def token_create(*, name: str, created_by, team=None, user=None) -> tuple[ApiToken, str]:
    """A team token (``team``) or a personal token (``user``). Returns (token, plaintext)."""
    if (team is None) == (user is None):
        raise ValueError("a token belongs to exactly one team or one user")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        team=team,
        user=user,
        name=name.strip()[:100] or "token",
        prefix=plaintext[:PREFIX_SHOWN],
        hash=token_hash(plaintext),
        created_by=created_by,
    )
    activity_record(
        team=team,
        actor=created_by,
        verb="token.created",
        target=_label(token),
        obj=token,
        owner=team.slug if team is not None else user.get_username(),
    )
    return token, plaintext


def _label(token: ApiToken) -> str:
    return f"{token.name} ({token.prefix}…)"


def token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    """Revoke a token; revoking twice keeps the first time (and one audit entry)."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    if revoked:
        activity_record(team=token.team, actor=actor, verb="token.revoked", target=_label(token), obj=token)
    return token


def token_use(*, plaintext: str, now=None) -> ApiToken | None:
    """The active token for a presented plaintext, recording the use; None when unknown or revoked."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    token = (
        ApiToken.objects.select_related("team", "user")
        .filter(hash=token_hash(plaintext), revoked_at__isnull=True)
        .first()
    )
    if token is None or (token.user is not None and not token.user.is_active):
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
