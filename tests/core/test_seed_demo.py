"""`make run`'s seed_demo: a demo lead and an administrator whose printed logins work, run after run."""

import io
import re

import pytest
from django.core.management import call_command


def _logins(output: str) -> list[tuple[str, str]]:
    return re.findall(r"username: (\S+)\s+password: (\S+)", output)


@pytest.mark.django_db
def test_seed_demo_prints_an_admin_login_that_opens_the_admin_and_keeps_it_on_a_second_run(
    tmp_path, settings, client
):
    settings.VAR_DIR = tmp_path
    first = io.StringIO()
    call_command("seed_demo", stdout=first)
    (demo, demo_password), (admin, admin_password) = _logins(first.getvalue())
    assert (demo, admin) == ("demo", "admin") and "/admin/" in first.getvalue()

    # Through the admin's own login form, as an operator would.
    response = client.post("/admin/login/?next=/admin/", {"username": admin, "password": admin_password})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/core/allowednetwork/").status_code == 200
    client.logout()
    response = client.post("/admin/login/?next=/admin/", {"username": demo, "password": demo_password})
    assert response.status_code == 200 and b"Error: Log in" in response.content  # a lead, not staff

    second = io.StringIO()
    call_command("seed_demo", stdout=second)
    assert _logins(second.getvalue()) == [(demo, demo_password), (admin, admin_password)]
