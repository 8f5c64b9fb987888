"""A new user's first minutes: log in, open the repository, analyze it, watch it finish, read scores."""

import pytest

from readiness.checklists.services.applied import checklist_apply
from readiness.checklists.services.templates import template_get_default
from tests.factories import MembershipFactory, RepositoryFactory
from tests.workers import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_worker():
    with running_worker("analysis") as worker:
        yield worker


def test_login_analyze_and_watch_the_run_finish(page, live_server, celery_worker, sample_repo_dir, tmp_path):
    member = MembershipFactory(role="lead", team__name="Payments team", team__slug="payments")
    repository = RepositoryFactory(
        team=member.team, name="sample-service", slug="sample-service", url=str(sample_repo_dir)
    )
    checklist_apply(repository=repository, template=template_get_default())

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(member.user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/t/payments/")
    page.get_by_role("link", name="sample-service").click()
    page.get_by_text("This repository has not been analysed yet.").wait_for()
    page.locator('#readiness [data-readiness-score="not analysed"]').wait_for()  # never 0.0

    page.get_by_role("button", name="Analyze").click()
    # htmx swaps in the queued/running panel, then polls until the run ends.
    page.locator("[data-run-status=queued], [data-run-status=running]").first.wait_for(timeout=10_000)
    page.locator("[data-run-status=succeeded]").wait_for(timeout=30_000)
    page.get_by_text("Automated checks").first.wait_for()
    # The readiness score line refreshes itself when the run finishes: a number, not "not analysed".
    page.locator("#readiness .score").wait_for()
    assert page.locator("#run-panel[hx-trigger]").count() == 0  # polling stopped
    page.screenshot(path=str(tmp_path / "repository.png"))
    assert page.console_errors == []
