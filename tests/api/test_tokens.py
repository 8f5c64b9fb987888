"""API tokens: lifecycle, hashing at rest, and the pages that create, list and revoke them."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from readiness.api import services
from readiness.api.models import ApiToken
from tests.api.conftest import bearer
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

REPOS = "/api/v1/repos"


def test_token_lifecycle_created_used_revoked(client):
    lead = MembershipFactory(role="lead")
    token, plaintext = services.token_create(name="ci", created_by=lead.user, team=lead.team)
    assert plaintext.startswith("rdy_") and len(plaintext) >= 40
    assert token.last_used_at is None and token.revoked_at is None

    response = client.get(REPOS, headers=bearer(plaintext))
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    services.token_revoke(token=token)
    response = client.get(REPOS, headers=bearer(plaintext))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == 'Bearer realm="readiness", error="invalid_token"'
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearer rdy_not-a-real-token", "Bearer nope"],
)
def test_missing_or_bad_token_is_401_json_with_www_authenticate(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(REPOS, headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_plaintext_is_not_stored_only_its_hash(db):
    lead = MembershipFactory(role="lead")
    token, plaintext = services.token_create(name="ci", created_by=lead.user, team=lead.team)
    assert token.hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext.startswith(token.prefix) and len(token.prefix) < len(plaintext) // 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        rows = cursor.fetchall()
    assert rows and not any(plaintext in str(value) for row in rows for value in row)


def test_last_used_at_is_written_at_most_once_a_minute(db):
    lead = MembershipFactory(role="lead")
    token, plaintext = services.token_create(name="ci", created_by=lead.user, team=lead.team)
    now = timezone.now()
    services.token_use(plaintext=plaintext, now=now)
    services.token_use(plaintext=plaintext, now=now + timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == now
    services.token_use(plaintext=plaintext, now=now + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == now + timedelta(seconds=61)


def test_a_token_belongs_to_exactly_one_team_or_user(db):
    lead = MembershipFactory(role="lead")
    with pytest.raises(ValueError):
        services.token_create(name="x", created_by=lead.user, team=lead.team, user=lead.user)
    with pytest.raises(ValueError):
        services.token_create(name="x", created_by=lead.user)


def test_personal_token_of_an_inactive_user_is_refused(client):
    member = MembershipFactory(role="engineer")
    _, plaintext = services.token_create(name="me", created_by=member.user, user=member.user)
    member.user.is_active = False
    member.user.save()
    assert client.get(REPOS, headers=bearer(plaintext)).status_code == 401


# Pages ------------------------------------------------------------------------------------------


def test_lead_creates_a_team_token_shown_once_then_revokes_it(client):
    lead = MembershipFactory(role="lead")
    client.force_login(lead.user)
    url = reverse("api_pages:team_tokens", kwargs={"team_slug": lead.team.slug})
    response = client.post(url, {"name": "GitHub Actions"})
    assert response.status_code == 200
    token = ApiToken.objects.get(team=lead.team)
    assert token.name == "GitHub Actions" and token.created_by == lead.user
    plaintext = response.context["created"]["plaintext"]
    assert plaintext.encode() in response.content
    assert services.token_hash(plaintext) == token.hash
    assert "no-store" in response["Cache-Control"]

    listing = client.get(url)
    assert listing.status_code == 200
    assert plaintext.encode() not in listing.content  # shown once only
    assert token.prefix.encode() in listing.content and b"never" in listing.content

    revoke = reverse(
        "api_pages:team_token_revoke", kwargs={"team_slug": lead.team.slug, "token_id": token.pk}
    )
    assert client.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_form_needs_a_name(client):
    lead = MembershipFactory(role="lead")
    client.force_login(lead.user)
    response = client.post(
        reverse("api_pages:team_tokens", kwargs={"team_slug": lead.team.slug}), {"name": ""}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_only_leads_manage_team_tokens(client, role):
    member = MembershipFactory(role=role)
    lead = MembershipFactory(role="lead", team=member.team)
    token, _ = services.token_create(name="ci", created_by=lead.user, team=member.team)
    client.force_login(member.user)
    url = reverse("api_pages:team_tokens", kwargs={"team_slug": member.team.slug})
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "sneaky"}).status_code == 403
    revoke = reverse(
        "api_pages:team_token_revoke", kwargs={"team_slug": member.team.slug, "token_id": token.pk}
    )
    assert client.post(revoke).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_another_teams_token_pages_are_404(client):
    lead = MembershipFactory(role="lead")
    outsider_team_lead = MembershipFactory(role="lead")
    token, _ = services.token_create(
        name="ci", created_by=outsider_team_lead.user, team=outsider_team_lead.team
    )
    client.force_login(lead.user)
    other = outsider_team_lead.team.slug
    assert client.get(reverse("api_pages:team_tokens", kwargs={"team_slug": other})).status_code == 404
    # A token id of another team, through one's own team's URL, is 404 too.
    revoke = reverse(
        "api_pages:team_token_revoke", kwargs={"team_slug": lead.team.slug, "token_id": token.pk}
    )
    assert client.post(revoke).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_personal_tokens_page_create_list_revoke(client):
    member = MembershipFactory(role="viewer")
    stranger = MembershipFactory(role="engineer")
    theirs, _ = services.token_create(name="theirs", created_by=stranger.user, user=stranger.user)
    client.force_login(member.user)
    url = reverse("api_pages:personal_tokens")
    response = client.post(url, {"name": "laptop"})
    assert response.status_code == 200
    mine = ApiToken.objects.get(user=member.user)
    assert response.context["created"]["token"] == mine
    assert b"theirs" not in client.get(url).content
    assert (
        client.post(reverse("api_pages:personal_token_revoke", kwargs={"token_id": theirs.pk})).status_code
        == 404
    )
    assert (
        client.post(reverse("api_pages:personal_token_revoke", kwargs={"token_id": mine.pk})).status_code
        == 302
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_token_pages_need_login(client):
    response = client.get(reverse("api_pages:personal_tokens"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_nav_links_to_the_tokens_page(client):
    member = MembershipFactory()
    client.force_login(member.user)
    page = client.get(reverse("team_detail", kwargs={"team_slug": member.team.slug}))
    assert f'href="{reverse("api_pages:personal_tokens")}"'.encode() in page.content
