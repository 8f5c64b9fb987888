"""After a single sign-on login: the audit entry, and auto-join of teams (OIDC_AUTO_JOIN)."""

from __future__ import annotations

from allauth.account.signals import user_logged_in
from allauth.socialaccount.signals import social_account_added  # noqa: F401 - documented hook
from django.dispatch import receiver

from readiness.sso.services import sso_login_record


@receiver(user_logged_in)
def on_login(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is not None:
        sso_login_record(user=user, sociallogin=sociallogin)
