"""Single sign-on end to end: the browser's redirects through a real OpenID Connect provider running
in another process, the code exchanged over HTTP, the ID token verified with the provider's keys."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from readiness.teams.models import ActivityEvent, Membership
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, provider: str, username: str, next_url: str = ""):
    """What a browser does: start at Readiness, log in at the provider, come back with the code."""
    login_page = client.get(reverse("login"))
    assert b"Log in with Acme SSO" in login_page.content
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "sso"}), {"next": next_url})
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(f"{provider}/o/authorize/")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"]
    browser = requests.Session()
    at_provider = browser.get(
        f"{provider}/login-as/{username}/",
        params={"next": authorize.removeprefix(provider)},
        allow_redirects=False,
    )
    back = browser.get(provider + at_provider.headers["Location"], allow_redirects=False)
    assert back.status_code == 302, back.text[:500]
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/accounts/oidc/sso/login/callback/"
    return client.get(callback.path, parse_qs(callback.query))


def test_a_new_user_signs_in_and_joins_by_domain_and_group(client, sso, settings):
    platform, ops = TeamFactory(slug="platform"), TeamFactory(slug="ops")
    settings.OIDC_AUTO_JOIN = [
        {"kind": "domain", "value": "acme.example", "team": "platform", "role": "viewer"},
        {"kind": "group", "value": "sre", "team": "ops", "role": "engineer"},
    ]
    response = sign_in(client, sso, "erin")
    assert response.status_code == 302
    user = Membership.objects.get(team=platform).user
    assert user.username == "erin" and user.email == "erin@acme.example"
    assert Membership.objects.get(team=platform, user=user).role == "viewer"
    assert Membership.objects.get(team=ops, user=user).role == "engineer"
    assert client.get(reverse("home")).status_code in (200, 302)  # logged in: no login redirect
    assert "/accounts/login/" not in client.get(reverse("home")).get("Location", "")
    verbs = set(ActivityEvent.objects.values_list("verb", flat=True))
    assert {"sso.account_created", "member.auto_joined"} <= verbs
    # The second time it is a login; roles a lead changed since are kept.
    Membership.objects.filter(team=ops, user=user).update(role="lead")
    client.logout()
    assert sign_in(client, sso, "erin").status_code == 302
    assert Membership.objects.get(team=ops, user=user).role == "lead"
    assert ActivityEvent.objects.filter(verb="sso.login", actor=user).count() == 2
    assert ActivityEvent.objects.filter(verb="sso.account_created", actor=user).count() == 1


def test_no_domain_join_without_a_verified_address(client, sso, settings):
    TeamFactory(slug="platform")
    settings.OIDC_AUTO_JOIN = [
        {"kind": "domain", "value": "acme.example", "team": "platform", "role": "viewer"}
    ]
    assert sign_in(client, sso, "unverified-ann").status_code == 302
    assert not Membership.objects.filter(team__slug="platform").exists()


def test_a_tampered_id_token_is_refused_with_a_clear_page(client, sso):
    response = sign_in(client, sso, "tamper-mallory")
    assert response.status_code == 403
    text = response.content.decode()
    assert "Single sign-on failed" in text
    assert "its signature does not match the identity provider&#x27;s keys" in text
    assert "_auth_user_id" not in client.session
    from django.contrib.auth import get_user_model

    assert (
        not get_user_model().objects.filter(email__in=["mallory@acme.example", "admin@example.com"]).exists()
    )


def test_a_token_for_another_audience_is_refused(client, sso):
    response = sign_in(client, sso, "otheraud-oscar")
    assert response.status_code == 403
    assert "it was issued for another application (wrong audience)" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_sso_user_accepts_an_invitation_for_their_address(client, sso):
    from readiness.teams import invitations

    lead = MembershipFactory(role="lead")
    invitation = invitations.invitation_create(
        team=lead.team, email="frank@other.example", role="engineer", invited_by=lead.user
    )
    url = reverse("invitation_accept", kwargs={"token": invitations.invitation_token(invitation)})
    page = client.get(url)
    assert b"Log in with Acme SSO" in page.content  # the invitation page offers single sign-on
    assert sign_in(client, sso, "frank", next_url=url)["Location"] == url
    assert client.post(url).status_code == 302
    assert Membership.objects.get(team=lead.team, user__username="frank").role == "engineer"


def test_local_passwords_still_work_and_axes_still_limits_them(client, sso, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="local")
    ok = client.post(reverse("login"), {"username": "local", "password": "pw-for-tests-1"})
    assert ok.status_code == 302
    client.logout()
    for _ in range(2):
        client.post(reverse("login"), {"username": "local", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "local", "password": "pw-for-tests-1"})
    assert locked.status_code == 429
