"""The look and feel in real headless Chromium, at 1280 px and 390 px, as a lead and an engineer:
the team navigation, the dashboard's summary cards, sortable headers, filters kept in the URL,
nothing clipped or scrolling sideways, and no CSP violation in the console."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot, ChecklistTemplate, TemplateItem
from readiness.endpoints.models import Endpoint
from readiness.repos.models import AnalysisRun, Repository, RunStatus
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATEGORIES = {
    "security": "Security",
    "reliability": "Reliability",
    "performance": "Performance",
    "build": "Build",
    "operations": "Operations",
}
LEVELS = ("gold", "silver", "bronze", "")


def seed(team, count=8):
    """Repositories with a run, a primary checklist state over five categories, snapshots for the
    trend (one got worse this week) and endpoints (one down)."""
    template = ChecklistTemplate.objects.create(slug=f"look-{team.pk}", title="Look")
    TemplateItem.objects.create(
        template=template, category_id="security", category_title="Security", position=1, key="a", title="A"
    )
    now = timezone.now()
    for i in range(count):
        repository = Repository.objects.create(
            team=team, name=f"service-with-a-long-name-{i:02d}", slug=f"svc-{i:02d}", url="/x"
        )
        overall = round(1.0 + i * 1.2, 1)
        for week in (5, 2, 0):
            run = AnalysisRun.objects.create(
                repository=repository, status=RunStatus.SUCCEEDED, commit_sha="c0ffee1"
            )
            AnalysisRun.objects.filter(pk=run.pk).update(finished_at=now - timedelta(weeks=week))
            before = overall + (3 if i == 5 and week else 0)  # svc-05 dropped this week
            ChecklistSnapshot.objects.create(
                run=run,
                repository=repository,
                template=template,
                template_slug=template.slug,
                data={},
                overall=before - week * 0.1,
                taken_at=now - timedelta(weeks=week),
            )
        AppliedChecklist.objects.create(
            repository=repository,
            template=template,
            primary=True,
            overall=overall,
            level=LEVELS[i % 4],
            state={
                "overall": overall,
                "level": LEVELS[i % 4],
                "categories": {
                    cid: {"title": title, "score": (overall + k) % 10}
                    for k, (cid, title) in enumerate(CATEGORIES.items())
                },
                "items": {},
                "waived": 0,
            },
        )
        Endpoint.objects.create(
            repository=repository,
            name=f"health-{i}",
            url=f"https://svc-{i}.example.com/health",
            next_probe_at=now,
            state="down" if i == 3 else "up",
        )


def log_in(browser, live_server, member, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(member.user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # No column cut off inside the table's own scroller either.
    for scroller in page.locator(".table-scroll").all():
        assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("role", ["lead", "engineer"])
def test_navigation_cards_sorting_and_url_filters(browser, live_server, role, width):
    member = MembershipFactory(role=role, team__name="Payments team", team__slug="payments")
    MembershipFactory(user=member.user, team__name="Search team", team__slug="search")
    seed(member.team)
    page = log_in(browser, live_server, member, width)
    base = f"{live_server.url}/t/payments/dashboard/"
    page.goto(base)

    # The team navigation: every section on screen (none hidden off the edge), the current one marked.
    nav = page.get_by_role("navigation", name="Team")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    names = ["Dashboard", "Repositories", "Endpoints", "Settings"] + (["Activity"] if role == "lead" else [])
    for name in names:
        box = nav.get_by_role("link", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, name
    expect(nav.get_by_role("link", name="Activity")).to_have_count(1 if role == "lead" else 0)

    # The summary cards: the team's score, levels, the regression named, the failing endpoint.
    cards = page.get_by_role("region", name="Team summary")
    expect(cards.locator(".stat")).to_have_count(4)
    expect(cards).to_contain_text("1 repository got worse")
    expect(cards.locator(".stat-alert").first).to_contain_text("service-with-a-long-name-05")
    expect(cards).to_contain_text("1 of 8 down")
    expect(cards).to_contain_text("6 of 8 reach a level")
    no_sideways_scroll(page, width)

    # The trend chart: on screen whole, its legend in words, its figures one click away.
    chart = page.locator("svg.trend-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] > 100
    expect(chart.locator("circle")).to_have_count(6)  # weeks 5 and 2 and now; average and lowest
    expect(page.locator(".trend-card .legend")).to_contain_text("Lowest repository, now 1.0")
    page.locator(".trend-card summary").click()
    expect(page.locator(".trend-card details table tbody tr")).to_have_count(3)
    legend = page.get_by_role("list", name="Heat map legend: category scores out of 10")
    expect(legend).to_contain_text("poor")

    rows = page.locator("#dashboard-table tbody tr")
    expect(rows).to_have_count(8)
    expect(rows.first).to_contain_text("service-with-a-long-name-00")  # lowest score first
    if width >= 1280:
        # Sortable headers: a click on the sorted column reverses it, state in aria-sort and the URL.
        page.get_by_role("columnheader", name="Score").get_by_role("link").click()
        page.wait_for_url("**sort=-score**")
        expect(page.get_by_role("columnheader", name="Score")).to_have_attribute("aria-sort", "descending")
        expect(rows.first).to_contain_text("service-with-a-long-name-07")
        for header in ("Security", "Operations", "12 weeks", "Last run", "Endpoints"):
            box = page.get_by_role("columnheader", name=header).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, header  # not clipped
    else:
        # On a phone the headers give way to cards; the Sort menu sorts (htmx, the URL follows).
        expect(page.locator("table.dashboard thead")).to_be_hidden()
        page.get_by_label("Sort", exact=True).select_option("-score")
        page.wait_for_url("**sort=-score**")
        expect(rows.first).to_contain_text("service-with-a-long-name-07")

    # Filters live in the URL: a reload or a shared link shows the same table.
    page.get_by_label("Level", exact=True).select_option("gold")
    page.wait_for_url("**level=gold**")
    expect(rows).to_have_count(2)
    page.reload()
    expect(page.get_by_label("Level", exact=True)).to_have_value("gold")
    expect(page.get_by_label("Sort", exact=True)).to_have_value("-score")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("service-with-a-long-name-04")
    if width >= 1280:
        page.get_by_role("columnheader", name="Repository").get_by_role("link").click()
        page.wait_for_url("**level=gold**sort=name**")
        expect(rows.first).to_contain_text("service-with-a-long-name-00")
    no_sideways_scroll(page, width)

    # The team switcher goes to the other team's dashboard.
    page.locator(".team-switcher summary").click()
    page.get_by_role("link", name="Search team").click()
    page.wait_for_url(f"{live_server.url}/t/search/dashboard/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.console_errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_team_pages_fit_the_screen(browser, live_server, width):
    member = MembershipFactory(role="lead", team__slug="payments")
    seed(member.team, count=4)
    page = log_in(browser, live_server, member, width)
    for path in ("", "endpoints/", "settings/", "members/", "activity/", "waivers/", "r/svc-01/"):
        page.goto(f"{live_server.url}/t/payments/{path}")
        expect(page.get_by_role("navigation", name="Team")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.goto(f"{live_server.url}/t/payments/endpoints/")
    expect(page.locator("tbody tr").first).to_contain_text("down")
    assert page.console_errors == []
