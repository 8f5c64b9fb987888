"""An ended session during an htmx request leads to the login page and back (HX-Redirect); error
pages (400, 403, 404, 500, a refused CSRF token) wear the site's layout."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db
LAYOUT = '<header class="topbar">'


@pytest.fixture
def item_urls():
    membership = MembershipFactory(role="engineer", team__slug="payments")
    RepositoryFactory(team=membership.team, slug="api", name="api")
    base = {"team_slug": "payments", "repo_slug": "api", "template_slug": "small", "item_key": "backups"}
    return membership, {
        "page": reverse("checklists:repository", kwargs={"team_slug": "payments", "repo_slug": "api"}),
        "attest": reverse("checklists:attest", kwargs=base),
        "item": reverse("checklists:item", kwargs=base),
    }


def test_an_htmx_request_after_the_session_ended_is_sent_to_the_login_page_and_back(client, item_urls):
    _, urls = item_urls
    response = client.post(
        urls["attest"],
        {"checked": "on"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver{urls['page']}?show=review",
            "HX-Target": "item-small-backups",
        },
    )
    # No login form swapped into the item: htmx loads the login page as a page.
    assert response.status_code == 204 and not response.content
    back = "%2Ft%2Fpayments%2Fr%2Fapi%2Fchecklists%2F%3Fshow%3Dreview%23item-small-backups"
    assert response["HX-Redirect"] == f"/accounts/login/?next={back}"
    # A details load (GET) after the session ended: the same, back to the page.
    response = client.get(
        urls["item"], headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{urls['page']}"}
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Ft%2Fpayments%2Fr%2Fapi%2Fchecklists%2F"


def test_the_way_back_never_leaves_the_site(client, item_urls):
    _, urls = item_urls
    response = client.post(
        urls["attest"],
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "https://evil.example.com/phish",
            "HX-Target": 'x"><',
        },
    )
    assert response["HX-Redirect"] == "/accounts/login/"  # then the home page: no way back to trust


def test_a_plain_form_posted_after_the_session_ended_comes_back_to_its_page(client, item_urls):
    _, urls = item_urls
    response = client.post(urls["attest"], {"checked": "on"}, HTTP_REFERER=f"http://testserver{urls['page']}")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Ft%2Fpayments%2Fr%2Fapi%2Fchecklists%2F"
    # A page asked for directly keeps Django's own next.
    response = client.get(urls["page"])
    assert response["Location"] == f"/accounts/login/?next={urls['page']}"


def test_error_pages_wear_the_site_layout(client, settings, item_urls):
    membership, urls = item_urls
    client.force_login(membership.user)
    not_found = client.get("/t/payments/r/nothing-here/checklists/")
    assert not_found.status_code == 404 and LAYOUT in not_found.content.decode()
    assert "There is nothing here, or nothing you can see." in not_found.content.decode()
    refused = client.post(reverse("checklists:apply", kwargs={"team_slug": "payments", "repo_slug": "api"}))
    assert refused.status_code == 403 and LAYOUT in refused.content.decode()
    assert "Only team leads can apply templates." in refused.content.decode()
    # A refused CSRF token: the site's 403, saying what to do.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(membership.user)
    csrf = strict.post(urls["attest"], {"checked": "on"})
    assert csrf.status_code == 403 and LAYOUT in csrf.content.decode()
    assert "Reload the page and try again." in csrf.content.decode()


@pytest.mark.parametrize("status", [400, 500])
def test_400_and_500_pages_wear_the_site_layout(status):
    from django.template.loader import render_to_string

    html = render_to_string(f"{status}.html")
    assert LAYOUT in html and 'role="alert"' in html
