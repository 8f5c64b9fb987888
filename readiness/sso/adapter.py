"""allauth hooks: a refused sign-in is one clear page (403), with the reason when we know it."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

logger = logging.getLogger(__name__)

# PyJWT's errors (the cause of allauth's "Invalid id_token"), in words for the person signing in.
REASONS = {
    "InvalidSignatureError": "its signature does not match the identity provider's keys",
    "InvalidAudienceError": "it was issued for another application (wrong audience)",
    "InvalidIssuerError": "it was issued by another identity provider (wrong issuer)",
    "ExpiredSignatureError": "it has expired",
    "ImmatureSignatureError": "it is not valid yet",
    "DecodeError": "it is not a well-formed token",
}


def refusal_reason(exception) -> str:
    seen = exception
    while seen is not None:
        reason = REASONS.get(type(seen).__name__)
        if reason:
            return f"The identity provider's answer was refused: {reason}."
        seen = seen.__cause__ or seen.__context__
    return "The identity provider's answer could not be verified."


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        reason = refusal_reason(exception) if exception is not None else ""
        logger.warning(
            "single sign-on refused: %s (%s: %s)",
            error,
            type(exception).__name__ if exception else "-",
            exception,
        )
        context = {"reason": reason, "error": error}
        raise ImmediateHttpResponse(render(request, "sso/refused.html", context, status=403))


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        # allauth would pick the first backend with get_user: django-axes' standalone backend,
        # whose get_user finds nobody. Sessions of SSO users use Django's model backend.
        user.backend = "django.contrib.auth.backends.ModelBackend"
        super().login(request, user)
