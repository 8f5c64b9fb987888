"""After a single sign-on: audit entries, and auto-join of teams (OIDC_AUTO_JOIN)."""

from __future__ import annotations

from allauth.account.signals import user_logged_in, user_signed_up
from django.dispatch import receiver

from readiness.sso.services import sso_login_record, sso_signup_record


@receiver(user_signed_up)
def on_signup(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is not None:
        sso_signup_record(user=user, sociallogin=sociallogin)


@receiver(user_logged_in)
def on_login(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is not None:
        sso_login_record(user=user, sociallogin=sociallogin)
