"""The checklist page in real headless Chromium, as an engineer and as a lead: tabs with counts,
search, passing items folded away, details loaded when an item is opened, focus kept on the item
acted on, and validation errors shown in place."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from readiness.pipeline.analysis import analysis_execute
from readiness.pipeline.registration import repository_register
from readiness.repos.models import AnalysisRun, RunStatus
from tests.factories import MembershipFactory

from .test_checklists import TEMPLATE, item, log_in, open_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analysed(sample_repo_dir):
    """The sample service analysed once (complete template), and a function making members."""
    lead = MembershipFactory(role="lead", team__slug="payments")
    repository = repository_register(team=lead.team, name="sample-service", url=str(sample_repo_dir))
    run = AnalysisRun.objects.create(repository=repository)
    analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error

    def member(role):
        return lead if role == "lead" else MembershipFactory(role=role, team=lead.team)

    return repository, member


def tab(page, key):
    return page.locator(f".item-tabs a[data-tab={key}]")


def count(page, key):
    return int(tab(page, key).locator(".count").inner_text())


def wait_for_focus_in(page, item_id: str):
    """The focus lands once htmx has settled the swap (autofocus after settle): wait for it."""
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.closest('li.item')?.id === id",
        arg=item_id,
        timeout=10_000,
    )


@pytest.mark.parametrize("role", ["engineer", "lead"])
def test_tabs_search_and_lazy_details(page, live_server, analysed, role):
    _repository, member = analysed
    membership = member(role)
    log_in(page, live_server, membership)
    page_url = f"{live_server.url}/t/payments/r/sample-service/checklists/"
    page.goto(page_url)
    rows = page.locator("#checklist-items li.item")
    failing, review, done = count(page, "failing"), count(page, "review"), count(page, "done")
    assert failing > 5 and review > 20 and done > 0
    assert count(page, "all") == failing + review + count(page, "waived") + done
    # Passing items are folded away under their category; the others are listed.
    passing = page.locator("details.passing")
    assert passing.count() > 0 and not passing.first.evaluate("d => d.open")
    assert page.locator("#checklist-items details.passing li.item").count() == done
    # No row carries its details until opened: no evidence or source lines on the page.
    assert page.locator("#checklist-items .evidence, #checklist-items .sources").count() == 0

    # A tab shows its items only, and the address says which (links work without JavaScript too).
    tab(page, "failing").click()
    expect(page).to_have_url(re.compile(r"\?show=failing$"))
    expect(rows).to_have_count(failing)
    expect(tab(page, "failing")).to_have_attribute("aria-current", "page")
    expect(tab(page, "failing")).to_be_focused()  # the swapped list keeps the focus on the tab
    assert set(
        rows.locator("[data-item-status]").evaluate_all("els => els.map(e => e.dataset.itemStatus)")
    ) <= {
        "fail",
        "warn",
        "error",
    }
    # Search within the tab, as one types; the counts follow the search.
    page.get_by_label("Search items").fill("redis")
    expect(page).to_have_url(re.compile(r"\?q=redis&show=failing$|\?show=failing&q=redis$"))
    expect(rows).to_have_count(count(page, "failing"))
    for title in rows.locator(".item-title").all_inner_texts():
        assert "redis" in title.lower()
    assert page.get_by_label("Search items").evaluate("e => e === document.activeElement")
    # Another tab keeps the search; clearing it shows the tab's items again.
    tab(page, "review").click()
    expect(page).to_have_url(re.compile(r"show=review&q=redis"))
    page.get_by_label("Search items").fill("")
    expect(page).to_have_url(re.compile(r"\?q=&show=review$|\?show=review&q=$"))
    expect(rows).to_have_count(review)
    # Items that do not apply are hidden, behind a toggle.
    na = page.locator(".item-tabs a[data-tab=na]")
    hidden = int(re.search(r"\d+", na.inner_text()).group())
    na.click()
    expect(rows).to_have_count(hidden)
    page.goto(page_url)

    # Details load when an item is opened: evidence, the offending lines, the fix and its diff,
    # the source document, the latest events.
    with page.expect_request(re.compile(rf"/checklists/{TEMPLATE}/non-root-user/$")):
        row = open_item(page, "non-root-user")
    expect(row.locator(".evidence")).to_contain_text("Dockerfile")
    expect(row.locator("pre.excerpt .hit")).to_have_count(1)
    expect(row.locator("details.autofix")).to_have_count(1)
    expect(row.locator(".sources details.source").first).to_contain_text("Source:")
    expect(row.locator(".item-events")).to_contain_text("Run #")
    assert page.console_errors == []


@pytest.mark.parametrize("role", ["engineer", "lead"])
def test_focus_stays_on_the_item_and_errors_show_in_place(page, live_server, analysed, role):
    _repository, member = analysed
    log_in(page, live_server, member(role))
    page.goto(f"{live_server.url}/t/payments/r/sample-service/checklists/")
    row = open_item(page, "graceful-shutdown")
    row.get_by_role("button", name="Tick as done").click()
    row.locator("[data-item-status=done]").wait_for()
    # The row came back opened, with the focus on its Undo button.
    undo = row.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    undo.press("Enter")
    row.locator("[data-item-status=todo]").wait_for()
    expect(row.locator("summary.item-head")).to_be_focused()

    # A note of blanks passes the browser's check but not the server's: the error shows on the item,
    # the field keeps the focus, the rest of the page is untouched.
    row.locator("details.note summary").click()
    row.get_by_label("Add a note").fill("   ")
    row.get_by_role("button", name="Save note").click()
    expect(row.get_by_role("alert")).to_have_text("A note cannot be empty.")
    expect(row.get_by_label("Add a note")).to_be_focused()
    expect(row.get_by_label("Add a note")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#checklist-items [role=alert]").count() == 1
    row.get_by_label("Add a note").fill("Secrets live in the platform's vault")
    row.get_by_role("button", name="Save note").click()
    expect(row.locator(".latest-note")).to_contain_text("platform's vault")
    wait_for_focus_in(page, f"item-{TEMPLATE}-graceful-shutdown")
    assert row.get_by_role("alert").count() == 0

    if role == "lead":
        # A waiver: the row shows it, the focus stays on the row, the score line says so.
        row = open_item(page, "non-root-user")
        row.locator("details.waive summary").click()
        row.get_by_label("Reason").fill("Moving to the new base image next sprint")
        row.get_by_label("Expires on").fill((timezone.localdate() + timedelta(days=7)).isoformat())
        row.get_by_role("button", name="Grant waiver").click()
        row.locator("[data-item-status=waived]").wait_for()
        expect(row.locator("summary.item-head")).to_be_focused()
        page.locator("#checklist-scores").get_by_text("1 waived item left out").wait_for()
    else:
        expect(open_item(page, "non-root-user").locator("details.waive")).to_have_count(0)
    # The one console line is the browser noting the validation error's 400.
    assert [e for e in page.console_errors if "status of 400" not in e] == []


@pytest.mark.parametrize("role", ["engineer", "lead"])
def test_an_ended_session_leads_to_the_login_page_and_back_to_the_item(page, live_server, analysed, role):
    from django.contrib.sessions.models import Session

    _repository, member = analysed
    membership = member(role)
    log_in(page, live_server, membership)
    page.goto(f"{live_server.url}/t/payments/r/sample-service/checklists/?show=review")
    row = open_item(page, "backups")
    Session.objects.all().delete()  # the session ends (expired, or logged out in another tab)
    row.get_by_label("Evidence link (required)").fill("https://wiki.example.com/restore-drill")
    row.get_by_role("button", name="Tick as done").click()
    # The whole page goes to the login page: no login form inside the item.
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    assert page.locator("li.item").count() == 0
    page.get_by_label("Username").fill(membership.user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    # Back on the page and tab it was on, at the item.
    page.wait_for_url(re.compile(rf"/checklists/\?show=review#item-{TEMPLATE}-backups$"))
    expect(item(page, "backups")).to_be_visible()
    assert page.console_errors == []


def test_a_refusal_shows_on_the_item_in_the_site_s_words(page, live_server, analysed):
    """The lead opened the waiver form, then lost the lead role: the 403 page's message shows on
    the item (htmx swaps no error page into it), and the row is unchanged."""
    _repository, member = analysed
    lead = member("lead")
    log_in(page, live_server, lead)
    page.goto(f"{live_server.url}/t/payments/r/sample-service/checklists/")
    row = open_item(page, "non-root-user")
    row.locator("details.waive summary").click()
    lead.role = "engineer"
    lead.save(update_fields=["role"])
    row.get_by_label("Reason").fill("Next sprint")
    row.get_by_label("Expires on").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    row.get_by_role("button", name="Grant waiver").click()
    alert = row.locator(".htmx-error")
    expect(alert).to_have_text("Only team leads can grant waivers.")
    expect(alert).to_be_focused()
    assert row.locator("[data-item-status=fail]").count() == 1
    # A 404 (the item's repository is gone) says so in the same place.
    page.goto(f"{live_server.url}/t/payments/r/sample-service/checklists/")
    row = item(page, "image-healthcheck")
    page.route(
        re.compile(r"/checklists/[^/]+/[^/]+/$"),
        lambda route: route.continue_(url=f"{live_server.url}/t/payments/r/gone/checklists/x/y/"),
    )
    row.locator("summary.item-head").click()
    expect(row.locator(".htmx-error")).to_have_text(
        "Not found: There is nothing here, or nothing you can see."
    )
    # The console has the browser's and htmx's own lines about the 403 and the 404, nothing else.
    assert [e for e in page.console_errors if not re.search(r"\b40[34]\b", e)] == []
