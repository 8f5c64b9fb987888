"""The endpoints page in real headless Chromium: register through the form, probe now inline (htmx
under the Content Security Policy), the sparkline drawn. A screenshot goes to $ENDPOINTS_SCREENSHOT."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from readiness.endpoints.models import Endpoint, ProbeRecord
from tests.browser.conftest import browser, page  # noqa: F401 - the fixtures
from tests.factories import MembershipFactory, RepositoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_and_probe_now(page, live_server, allowed_server):  # noqa: F811
    allowed_server.route("/health", body={"status": "ok", "version": "1.4.2"})
    member = MembershipFactory(role="engineer")
    repo = RepositoryFactory(team=member.team, name="payments-api", slug="payments-api")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(member.user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/t/{member.team.slug}/")

    page.goto(f"{live_server.url}/t/{member.team.slug}/r/{repo.slug}/")
    page.get_by_role("link", name="Health endpoints").click()
    page.get_by_label("Name").fill("api liveness")
    page.get_by_label("URL").fill("http://10.0.0.5/health")
    page.get_by_role("button", name="Register").click()
    page.get_by_text("address 10.0.0.5 is in a private range").wait_for()
    page.get_by_label("URL").fill(allowed_server.url("/health"))
    page.get_by_role("button", name="Register").click()
    page.get_by_text("Registered api liveness").wait_for()

    endpoint = Endpoint.objects.get(repository=repo)
    now = timezone.now()
    ProbeRecord.objects.bulk_create(
        ProbeRecord(
            endpoint=endpoint,
            at=now - timedelta(minutes=20 * n),
            ok=True,
            status_code=200,
            latency_ms=8 + (n % 7) * 3,
        )
        for n in range(1, 70)
    )
    page.reload()
    card = page.locator(f"#endpoint-{endpoint.pk}")
    card.get_by_role("button", name="Probe now").click()
    card = page.locator(f"#endpoint-{endpoint.pk}")
    card.get_by_text("Probed now: answered 200").wait_for()
    assert card.locator("svg.endpoint-spark path").count() == 1
    assert "Up" in card.inner_text()
    # No CSP violation, no htmx error; the one 400 is the refused registration above.
    assert [e for e in page.console_errors if "status of 400" not in e] == []
    if os.environ.get("ENDPOINTS_SCREENSHOT"):
        page.screenshot(path=os.environ["ENDPOINTS_SCREENSHOT"], full_page=True)
