"""Claims of the test users, and the two misbehaviours the tests need from a provider.

- a user named ``tamper-*``: the ID token's payload is changed after signing (its e-mail becomes
  the administrator's), so its signature no longer matches, as if altered on the way;
- a user named ``otheraud-*``: the token is signed properly but issued for another client (aud).
"""

import base64
import json

from oauth2_provider.oauth2_validators import OAuth2Validator


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever the scopes (groups included)

    def get_additional_claims(self, request):
        user = request.user
        claims = {
            "email": user.email,
            "email_verified": not user.username.startswith("unverified"),
            "preferred_username": user.username,
            "name": user.get_full_name() or user.username,
            "groups": [g.name for g in user.groups.all()],
        }
        if user.username.startswith("otheraud"):
            claims["aud"] = "some-other-client"
        return claims

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if not request.user.username.startswith("tamper"):
            return signed
        header, payload, signature = signed.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["email"] = "admin@example.com"
        return ".".join([header, _b64(json.dumps(claims).encode()), signature])
