"""In a real browser (Debian's Chromium): a lead archives a repository (it leaves the team page and
waits in the archived list), restores it, renames it, then deletes it by typing its name; a viewer
sees none of these controls."""

import pytest

from readiness.pipeline.registration import repository_register
from readiness.repos.models import Repository
from readiness.teams.models import ActivityEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in", exact=True).click()


def test_a_lead_archives_restores_renames_and_deletes_a_repository(page, live_server):
    lead = MembershipFactory(role="lead", team__slug="ops", team__name="Ops")
    repository_register(team=lead.team, name="billing", url="https://example.com/billing.git")
    log_in(page, live_server, lead.user)

    # Archive: from the settings page, through the confirmation page.
    page.goto(f"{live_server.url}/t/ops/r/billing/settings/")
    page.get_by_role("link", name="Archive billing").click()
    page.get_by_role("heading", name="Archive billing?").wait_for()
    assert Repository.objects.get(slug="billing").archived_at is None  # asking changed nothing
    page.get_by_role("button", name="Archive billing").click()
    page.get_by_role("heading", name="Archived repositories").wait_for()
    assert page.get_by_role("link", name="billing").is_visible()
    page.goto(f"{live_server.url}/t/ops/")
    assert page.get_by_role("link", name="billing").count() == 0  # hidden from the team page

    # Restore from the archived list.
    page.get_by_role("link", name="Archived repositories").click()
    page.get_by_role("button", name="Restore billing").click()
    page.get_by_text("Restored billing.").wait_for()
    assert Repository.objects.get(slug="billing").archived_at is None

    # Rename: a taken name is refused in place, then a free one is taken.
    repository_register(team=lead.team, name="payments", url="https://example.com/payments.git")
    page.goto(f"{live_server.url}/t/ops/r/billing/settings/")
    page.get_by_label("New name").fill("Payments")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text("already has a repository named “Payments”").wait_for()
    page.get_by_label("New name").fill("billing-api")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text("Renamed billing to billing-api.").wait_for()
    assert page.url.endswith("/t/ops/r/billing-api/settings/")

    # Delete: the wrong name deletes nothing; the right one does.
    page.get_by_role("link", name="Delete billing-api…").click()
    page.get_by_role("heading", name="Delete billing-api?").wait_for()
    page.get_by_label("Type the repository's name to confirm").fill("billing")
    page.get_by_role("button", name="Delete billing-api").click()
    page.get_by_text("Type “billing-api” exactly to delete it.").wait_for()
    assert Repository.objects.filter(slug="billing-api").exists()
    page.get_by_label("Type the repository's name to confirm").fill("billing-api")
    page.get_by_role("button", name="Delete billing-api").click()
    page.get_by_text("Deleted billing-api").wait_for()
    assert not Repository.objects.filter(slug="billing-api").exists()
    verbs = list(ActivityEvent.objects.filter(team=lead.team).values_list("verb", flat=True).order_by("id"))
    assert verbs[-4:] == [
        "repository.unarchived",
        "repository.registered",
        "repository.renamed",
        "repository.deleted",
    ]
    page.goto(f"{live_server.url}/t/ops/activity/")
    page.get_by_text("deleted the repository billing-api").first.wait_for()
    # The two refused forms answered 400 on purpose (a re-shown form with errors); nothing else.
    assert [e for e in page.console_errors if "400 (Bad Request)" not in e] == []


def test_a_viewer_sees_an_archived_repository_without_the_controls(page, live_server):
    viewer = MembershipFactory(role="viewer", team__slug="web", team__name="Web")
    repository = repository_register(team=viewer.team, name="site", url="https://example.com/site.git")
    from readiness.repos.lifecycle import repository_archive

    repository_archive(repository=repository)
    log_in(page, live_server, viewer.user)
    page.goto(f"{live_server.url}/t/web/archived/")
    page.get_by_role("link", name="site").click()
    page.get_by_text("This repository was archived on").wait_for()
    assert page.get_by_role("button", name="Restore site").count() == 0
    assert page.get_by_role("button", name="Analyze").count() == 0
    assert page.console_errors == []
