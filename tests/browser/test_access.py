"""In a real browser (Debian's Chromium): single sign-on through the test OpenID Connect provider,
and a destructive action that asks first."""

import sqlite3

import pytest

from readiness.teams.models import Membership
from tests.factories import MembershipFactory, TeamFactory
from tests.oidc_provider.fixtures import CALLBACK

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sso_live(sso, oidc_provider_db, live_server):
    """The provider also accepts the live server's callback (its port is known only now)."""
    callback = f"{live_server.url}/accounts/oidc/sso/login/callback/"
    with sqlite3.connect(oidc_provider_db) as db:
        db.execute("UPDATE oauth2_provider_application SET redirect_uris = ?", (f"{CALLBACK} {callback}",))
    return sso


def test_sign_in_through_the_identity_provider_in_a_browser(page, live_server, sso_live, settings):
    TeamFactory(slug="platform", name="Platform")
    settings.OIDC_AUTO_JOIN = [
        {"kind": "domain", "value": "acme.example", "team": "platform", "role": "viewer"}
    ]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Log in with Acme SSO").click()
    page.get_by_role("heading", name="Acme sign-in").wait_for()  # at the provider now
    page.get_by_label("User").fill("erin")
    page.get_by_role("button", name="Sign in at Acme").click()
    page.wait_for_url(f"{live_server.url}/t/platform/")
    assert page.get_by_text("erin").first.is_visible()
    assert Membership.objects.get(user__username="erin").team.slug == "platform"
    # (No console check here: the provider's page has no favicon, a 404 that is not ours.)


def test_a_tampered_token_shows_the_refusal_page_in_a_browser(page, live_server, sso_live, tmp_path):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Log in with Acme SSO").click()
    page.get_by_label("User").fill("tamper-mallory")
    page.get_by_role("button", name="Sign in at Acme").click()
    page.get_by_role("heading", name="Single sign-on failed").wait_for()
    assert "signature does not match" in page.content()
    page.screenshot(path=str(tmp_path / "sso-refused.png"))


def test_removing_a_member_asks_first(page, live_server, tmp_path):
    lead = MembershipFactory(role="lead", team__slug="ops", team__name="Ops")
    bob = MembershipFactory(team=lead.team, role="engineer", user__username="bob")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(lead.user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto(f"{live_server.url}/t/ops/members/")
    page.get_by_role("link", name="Remove bob").click()
    page.get_by_role("heading", name="Remove bob?").wait_for()
    assert Membership.objects.filter(pk=bob.pk).exists()  # nothing happened yet
    page.screenshot(path=str(tmp_path / "confirm-remove.png"))
    page.get_by_role("button", name="Remove bob").click()
    page.get_by_text("Removed bob.").wait_for()
    assert not Membership.objects.filter(pk=bob.pk).exists()
    assert page.console_errors == []


def test_the_activity_log_and_the_waivers_page_read_as_sentences(page, live_server, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from readiness.checklists.services import applied, records
    from readiness.teams import invitations
    from readiness.teams.services import membership_change_role
    from tests.factories import ChecklistTemplateFactory, RepositoryFactory, TemplateItemFactory

    lead = MembershipFactory(role="lead", team__slug="ops", team__name="Ops", user__username="lea")
    bob = MembershipFactory(team=lead.team, role="engineer", user__username="bob")
    repo = RepositoryFactory(team=lead.team, name="api", slug="api")
    item = TemplateItemFactory(
        template=ChecklistTemplateFactory(team=lead.team), manual=True, title="Runbook"
    )
    applied.checklist_apply(repository=repo, template=item.template, user=lead.user)
    records.waiver_grant(
        repository=repo,
        template_slug=item.template.slug,
        item_key=item.key,
        reason="vendor fix due in March",
        expires_on=timezone.localdate() + timedelta(days=10),
        user=lead.user,
    )
    membership_change_role(membership=bob, role="lead", actor=lead.user)
    invitations.invitation_create(
        team=lead.team, email="erin@example.com", role="viewer", invited_by=lead.user
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("lea")
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto(f"{live_server.url}/t/ops/activity/")
    page.get_by_text("lea changed the role of bob: role Engineer → Lead.").wait_for()
    page.get_by_text("lea invited erin@example.com as Viewer.").wait_for()
    page.screenshot(path=str(tmp_path / "activity.png"), full_page=True)
    page.goto(f"{live_server.url}/t/ops/waivers/")
    page.get_by_text("ends within 14 days").wait_for()
    page.screenshot(path=str(tmp_path / "waivers.png"), full_page=True)
    assert page.console_errors == []
