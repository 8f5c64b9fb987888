"""The HTML part in Chromium at a phone's width (375 px) and a desktop client's (800 px): nothing
overflows sideways and nothing is fetched. Screenshots go to pytest's tmp folder, not the tree."""

import pytest

from readiness.reports import selectors, services
from tests.browser.conftest import browser  # noqa: F401 (the fixture)
from tests.reports.conftest import HEALTH, ROOT, make_team

# Transactional: with Playwright's event loop in the thread the test's transaction is not rolled
# back (the rows leaked into the next tests); a flush after the test is certain.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "payments-settlement-reconciliation-service-with-a-very-long-name"


def busy_week():
    """A week with everything in it: long names, many long file paths, regressions and fixes."""
    plan = {
        f"{LONG}-{n}": ({ROOT: "pass", HEALTH: "pass"}, {ROOT: "fail", HEALTH: "warn"}) for n in range(3)
    } | {"web": ({ROOT: "fail", HEALTH: "fail"}, {ROOT: "pass", HEALTH: "pass"})}
    files = {ROOT: [f"services/{LONG}/docker/production/Dockerfile.{n}" for n in range(8)]}
    return make_team("Payments", "payments", plan, files=files)


def test_the_html_part_fits_a_phone_and_a_desktop_and_loads_nothing(browser, tmp_path):  # noqa: F811
    data = busy_week()
    built = selectors.report_build(team=data["team"])
    _subject, _text, html = services.report_render(data=built)
    assert LONG in html and "Dockerfile.7" not in html  # five files per check, then "and 3 more"

    for width in (375, 800):
        requests = []
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.on("request", lambda request: requests.append(request.url))  # noqa: B023
        page.set_content(html, wait_until="load")
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        shot = tmp_path / f"weekly-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        page.close()

        assert scroll_width <= inner_width, f"{scroll_width} px of content in a {inner_width} px window"
        assert requests == [], requests
        assert shot.stat().st_size > 10_000
