from django.conf import settings


def sso(request) -> dict:
    """The single sign-on button's label, or nothing when SSO is off (templates/sso/_button.html)."""
    if not settings.OIDC_ISSUER_URL:
        return {}
    return {"sso_label": settings.OIDC_BUTTON_LABEL, "sso_provider_id": settings.OIDC_PROVIDER_ID}
