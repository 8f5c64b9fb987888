"""Pages of the reports app: who may see and do what, one-click unsubscribe without login."""

import pytest
from django.urls import reverse

from readiness.reports import selectors, services
from readiness.reports.models import ReportSchedule, ReportSubscription, WeeklyReport
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(name, **kwargs):
    return reverse(f"reports:{name}", kwargs={"team_slug": "payments", **kwargs})


def test_an_outsider_gets_404_on_every_team_page(seeded, client):
    report = WeeklyReport.objects.create(team=seeded["team"], week_start="2026-11-16", status="sent")
    client.force_login(UserFactory())
    for name, kwargs in [
        ("list", {}),
        ("settings", {}),
        ("preview", {}),
        ("preview_html", {}),
        ("detail", {"report_id": report.pk}),
        ("html", {"report_id": report.pk}),
    ]:
        assert client.get(url(name, **kwargs)).status_code == 404, name
    assert client.post(url("send_now")).status_code == 404
    assert client.post(url("retry", report_id=report.pk)).status_code == 404


def test_preview_send_now_and_settings_are_for_leads(seeded, client):
    client.force_login(seeded["engineer"])
    assert client.get(url("list")).status_code == 200
    assert client.get(url("preview")).status_code == 403
    assert client.get(url("settings")).status_code == 403
    assert client.post(url("send_now")).status_code == 403
    assert not WeeklyReport.objects.exists()


def test_a_lead_previews_then_sends_now_and_the_week_is_not_sent_again(
    seeded, client, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(seeded["lead"])
    preview = client.get(url("preview"))
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Payments team: 1 repository got worse: api 10.0 → 4.0 (lost Bronze)" in page
    assert f"the report of {seeded['week'].label}" in page
    body = client.get(url("preview_html"))
    assert body.status_code == 200 and b"Every repository: the week side by side" in body.content
    assert not WeeklyReport.objects.exists()  # a preview claims nothing

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("send_now")).status_code == 302
    report = WeeklyReport.objects.get()
    assert report.status == "sent" and report.trigger == "manual" and report.requested_by == seeded["lead"]
    assert len(smtp_server.messages) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("send_now"), follow=True)
    assert "already sent" in response.content.decode()
    # Beat at the scheduled hour finds the week taken.
    with django_capture_on_commit_callbacks(execute=True):
        services.reports_enqueue_due()
    assert len(smtp_server.messages) == 2 and WeeklyReport.objects.count() == 1


def test_a_lead_sets_the_schedule_and_external_addresses(seeded, client):
    client.force_login(seeded["lead"])
    form = {"enabled": "on", "weekday": "4", "hour": "16", "timezone": "Europe/Paris"}
    bad = client.post(url("settings"), {**form, "external_addresses": "cto@example.org\nnot an address"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.content.decode()
    assert client.post(url("settings"), {**form, "timezone": "Mars/Base"}).status_code == 400

    ok = client.post(url("settings"), {**form, "external_addresses": "cto@example.org, ops@example.org"})
    assert ok.status_code == 302
    schedule = ReportSchedule.objects.get(team=seeded["team"])
    assert (schedule.weekday, schedule.hour, schedule.team.timezone) == (4, 16, "Europe/Paris")
    assert schedule.external_addresses == ["cto@example.org", "ops@example.org"]
    recipients = [r["address"] for r in selectors.report_recipients(team=seeded["team"])]
    assert recipients == ["eng@example.com", "lea@example.com", "cto@example.org", "ops@example.org"]


def test_a_member_turns_their_own_report_on_and_off(seeded, client):
    client.force_login(seeded["viewer"])
    assert b"You do not receive it" in client.get(url("list")).content
    client.post(url("subscription"), {"receives": "on"})
    assert ReportSubscription.objects.get(user=seeded["viewer"]).receives is True
    client.post(url("subscription"), {"receives": "off"})
    assert ReportSubscription.objects.get(user=seeded["viewer"]).receives is False


def test_one_click_unsubscribe_needs_no_login_and_turns_off_only_that_user(seeded, client):
    team = seeded["team"]
    link = services.unsubscribe_url(team_id=team.pk, user_id=seeded["engineer"].pk)
    path = link.removeprefix("http://localhost:8000")

    page = client.get(path)  # a link scanner's GET changes nothing
    assert page.status_code == 200 and b"Payments" in page.content
    assert not ReportSubscription.objects.exists()

    # RFC 8058: the mail client POSTs this body, with no cookie and no CSRF token.
    csrf_client = client.__class__(enforce_csrf_checks=True)
    response = csrf_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"no longer receive" in response.content
    assert b"You can turn it back on from the team's reports page" in response.content
    recipients = [r["address"] for r in selectors.report_recipients(team=team)]
    assert recipients == ["lea@example.com"]  # the lead still receives it

    assert client.post(path[:-10] + "tampered0/").status_code == 400


def test_an_external_address_unsubscribes_itself_only(seeded, client):
    team = seeded["team"]
    ReportSchedule.objects.create(team=team, external_addresses=["CTO@example.org", "ops@example.org"])
    path = services.unsubscribe_url(team_id=team.pk, address="CTO@example.org").removeprefix(
        "http://localhost:8000"
    )
    page = client.post(path)
    assert page.status_code == 200
    assert ReportSchedule.objects.get(team=team).external_addresses == ["ops@example.org"]
    # Spoken to an address outside the team, not to a member who could turn it back on.
    assert b"ask a lead of the team to add it back" in page.content
    assert b"reports page" not in page.content


def test_the_team_page_links_to_the_reports(seeded, client):
    client.force_login(seeded["viewer"])
    page = client.get(reverse("team_detail", kwargs={"team_slug": "payments"})).content.decode()
    assert url("list") in page
