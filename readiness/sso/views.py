"""The OpenID Connect login and callback, with the ID token's signature always checked.

allauth skips the signature check of an ID token received straight from the token endpoint (the
specification allows it over TLS). We check it anyway: a proxy or a misconfigured TLS setup in
between would otherwise let a forged token through, and the cost is one cached JWKS fetch.
Issuer, audience (our client id), expiry and nonce are checked by allauth either way.
"""

from __future__ import annotations

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404


class VerifyingAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


@login_not_required
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(VerifyingAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


@login_not_required
def callback(request, provider_id):
    try:
        return OAuth2CallbackView.adapter_view(VerifyingAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
