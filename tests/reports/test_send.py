"""The weekly e-mail through a real SMTP server: parts, headers, and figures equal to the dashboard's."""

import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from readiness.dashboard.selectors import (
    dashboard_repositories_by_ids,
    dashboard_repository_ids,
    dashboard_rows,
    team_summaries,
)
from readiness.reports import selectors, services
from readiness.reports.models import ReportSchedule, ReportStatus, WeeklyReport

pytestmark = pytest.mark.django_db


def deliver(team):
    return services.report_deliver(
        team_id=team.pk, week_start=selectors.current_week(team=team, now=timezone.now())
    )


def parts(message):
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))

    def content(part):
        return part.get_content().replace("\r\n", "\n") if part else None

    return content(text), content(html)


def test_the_report_arrives_with_both_parts_and_the_unsubscribe_headers(seeded, smtp_server):
    outcome = deliver(seeded["team"])

    assert outcome.report.status == ReportStatus.SENT
    assert sorted(m["To"] for m in smtp_server.messages) == ["eng@example.com", "lea@example.com"]
    message = smtp_server.to("lea@example.com")[0]
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert text and html
    assert "<table" in html and "<script" not in html.lower() and "<img" not in html.lower()
    assert 'style="' in html  # inline CSS, no stylesheet to fetch
    unsubscribe = message["List-Unsubscribe"].strip()  # a long header may be folded
    assert re.fullmatch(r"<http://localhost:8000/reports/unsubscribe/[^>]+/>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The body carries the same personal link as the header, in both parts.
    assert unsubscribe[1:-1] in text and unsubscribe[1:-1] in html
    assert services.UNSUBSCRIBE_PLACEHOLDER not in text + html
    # Each recipient gets their own link.
    other = smtp_server.to("eng@example.com")[0]
    assert other["List-Unsubscribe"].strip() != unsubscribe


def test_figures_equal_the_dashboards_for_the_same_data(seeded, smtp_server):
    team = seeded["team"]
    deliver(team)
    message = smtp_server.to("lea@example.com")[0]
    text, html = parts(message)

    ids = list(dashboard_repository_ids(team=team))
    repositories = dashboard_repositories_by_ids(ids=ids)
    dashboard = {r.name: r.primary_overall for r in repositories}
    team_mean = team_summaries(teams=[team])[0]["mean"]
    # The dashboard page itself shows those repository scores.
    client_page = _dashboard_html(seeded)
    for score in dashboard.values():
        assert f"{score:.1f}<small>/10</small>" in client_page
    # Weights bronze 3, silver 2; backup-restore is an unticked manual item (a fail) everywhere.
    assert dashboard == {"api": 2.9, "web": 7.1, "worker": 1.4}  # 2/7, 5/7, 1/7 (a warn is half)
    assert team_mean == 3.8

    # Subject: the team figure and its change against last week (7.1, 4.3, 1.4: mean 4.3).
    assert message["Subject"] == "Readiness — Payments team: 3.8/10 (-0.5)"
    # Per repository: last week, this week, change, worst first, in both parts.
    rows = re.findall(r"^(\w+) \| (\S+) \| (\S+) \| (\S+)$", text, re.MULTILINE)
    repo_rows = [r for r in rows if r[0] in dashboard]
    assert repo_rows == [
        ("worker", "1.4/10", "1.4/10", "±0.0"),
        ("api", "7.1/10", "2.9/10", "-4.2"),
        ("web", "4.3/10", "7.1/10", "+2.8"),
    ]
    for name, score in dashboard.items():
        assert f">{name}</a>" in html and f"{score:.1f}/10" in html
    # Categories: the mean of the dashboard's heat map cells, with the comparison statuses.
    rows_data = dashboard_rows(repositories=repositories)
    by_title = {}
    for i, category in enumerate(rows_data["categories"]):
        cells = [row["cells"][i] for row in rows_data["rows"]]
        # The cells carry the score as formatted text ("·" when there is none).
        scores = [float(c["text"]) for c in cells if c["text"] != "·"]
        by_title[category["title"]] = round(sum(scores) / len(scores), 1)
    assert by_title == {"Security": 3.3, "Reliability": 4.2}
    assert "Security | 6.7/10 | 3.3/10 | Regressed" in text
    assert "Reliability | 2.5/10 | 4.2/10 | Improved" in text
    assert "Overall | 4.3/10 | 3.8/10 | Regressed" in text


def _dashboard_html(seeded):
    from django.test import Client

    client = Client()
    client.force_login(seeded["lead"])
    response = client.get(reverse("dashboard:team", kwargs={"team_slug": "payments"}))
    assert response.status_code == 200
    return response.content.decode()


def test_the_report_lists_changes_due_items_and_failed_runs_with_links(seeded, smtp_server):
    from datetime import timedelta

    from readiness.checklists.services.records import attestation_record, waiver_grant

    api = seeded["repositories"]["api"]
    attestation_record(
        repository=api, template_slug="small", item_key="backup-restore", checked=True, user=seeded["lead"]
    )
    # A tick 80 days old on a 90-day interval falls due in 10 days.
    from readiness.checklists.models import Attestation

    Attestation.objects.filter(repository=api).update(at=timezone.now() - timedelta(days=80))
    waiver_grant(
        repository=seeded["repositories"]["worker"],
        template_slug="small",
        item_key="non-root",
        reason="base image migration",
        expires_on=timezone.localdate() + timedelta(days=5),
        user=seeded["lead"],
    )

    data = selectors.report_build(team=seeded["team"])

    assert [(i["repository"], i["title"]) for i in data["newly_failing"]] == [("api", "Runs as non-root")]
    assert [(i["repository"], i["title"]) for i in data["newly_fixed"]] == [
        ("api", "Backup restore tested"),  # ticked today
        ("web", "Has a healthcheck"),
    ]
    assert data["newly_failing"][0]["url"].endswith("/t/payments/r/api/checklists/#item-small-non-root")
    kinds = sorted((e["kind"], e["repository"], e["title"]) for e in data["expiring"])
    assert kinds == [
        ("Tick falls due", "api", "Backup restore tested"),
        ("Waiver ends", "worker", "Runs as non-root"),
    ]
    assert [r["repository"] for r in data["failed_runs"]] == ["worker"]
    assert data["failed_runs"][0]["error"] == "git fetch timed out after 120 s"

    _subject, text, html = services.report_render(data=data)
    assert "- api: Runs as non-root (Security): pass -> fail" in text
    assert "- web: Has a healthcheck (Reliability): fail -> pass" in text
    assert "Waiver ends: worker: Runs as non-root" in text
    assert "Tick falls due: api: Backup restore tested" in text
    assert "worker, run #" in text and "git fetch timed out" in text
    assert data["failed_runs"][0]["url"] in html


def test_external_addresses_receive_it_and_viewers_do_not_by_default(seeded, smtp_server):
    ReportSchedule.objects.create(team=seeded["team"], external_addresses=["cto@example.org"])
    services.subscription_set(team=seeded["team"], user=seeded["viewer"], receives=True)
    services.subscription_set(team=seeded["team"], user=seeded["engineer"], receives=False)

    deliver(seeded["team"])

    addresses = sorted(m["To"] for m in smtp_server.messages)
    assert addresses == ["cto@example.org", "lea@example.com", "vic@example.com"]
    report = WeeklyReport.objects.get()
    assert [r["address"] for r in report.recipients if r["status"] == "sent"] == [
        "lea@example.com",
        "vic@example.com",
        "cto@example.org",
    ]


def test_every_report_sent_is_kept_and_opens_in_the_browser(seeded, smtp_server, client):
    deliver(seeded["team"])
    report = WeeklyReport.objects.get()
    assert report.subject.startswith("Readiness — Payments team:")
    assert report.sent_at is not None and report.body_html and report.body_text

    client.force_login(seeded["viewer"])
    page = client.get(reverse("reports:list", kwargs={"team_slug": "payments"}))
    assert page.status_code == 200 and b"Sent" in page.content
    detail = client.get(reverse("reports:detail", kwargs={"team_slug": "payments", "report_id": report.pk}))
    assert detail.status_code == 200 and b"lea@example.com: sent" in detail.content
    body = client.get(reverse("reports:html", kwargs={"team_slug": "payments", "report_id": report.pk}))
    assert body.status_code == 200
    # The e-mail's own policy, not the site's: no script, nothing loaded, framed by our pages only.
    assert "default-src 'none'" in body["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in body["Content-Security-Policy"]
    assert body["X-Frame-Options"] == "SAMEORIGIN"
    assert services.UNSUBSCRIBE_PLACEHOLDER.encode() not in body.content
    assert b"Repositories, worst first" in body.content


def test_without_the_endpoints_app_the_section_is_left_out(seeded, monkeypatch):
    real = selectors.apps.is_installed
    monkeypatch.setattr(
        selectors.apps, "is_installed", lambda name: name != "readiness.endpoints" and real(name)
    )
    data = selectors.report_build(team=seeded["team"])
    assert data["endpoints"] is None
    _subject, text, html = services.report_render(data=data)
    assert "ENDPOINTS" not in text and "Endpoints" not in html


@pytest.mark.skipif(not apps.is_installed("readiness.endpoints"), reason="no endpoints app")
def test_each_endpoint_shows_its_uptime_p95_and_down_periods(seeded):
    from datetime import timedelta

    from readiness.endpoints import selectors as endpoint_selectors
    from readiness.endpoints.models import Endpoint, Incident, ProbeRecord

    now = timezone.now()
    endpoint = Endpoint.objects.create(
        repository=seeded["repositories"]["api"], name="health", url="https://api.example.org/health",
        next_probe_at=now,
    )  # fmt: skip
    ProbeRecord.objects.bulk_create(
        ProbeRecord(endpoint=endpoint, at=now - timedelta(minutes=i), ok=i % 10 != 0, latency_ms=20.0 + i)
        for i in range(40)
    )
    Incident.objects.create(
        endpoint=endpoint, started_at=now - timedelta(days=2, hours=1), ended_at=now - timedelta(days=2)
    )
    Incident.objects.create(
        endpoint=endpoint, started_at=now - timedelta(days=9), ended_at=now - timedelta(days=8)
    )

    data = selectors.report_build(team=seeded["team"], now=now)

    stats = endpoint_selectors.probe_stats([endpoint.pk], now=now)[endpoint.pk]
    [row] = data["endpoints"]
    assert row["name"] == "api / health"
    assert row["uptime_percent"] == round(stats["uptime_7d"] * 100, 2)
    assert row["p95_ms"] == stats["p95_24h_ms"]
    assert len(row["incidents"]) == 1  # the one of last week is not this week's
    _subject, text, _html = services.report_render(data=data)
    assert f"- api / health: uptime (7 days) {row['uptime_percent']:.2f}%" in text
    assert "  down " in text


def test_any_django_backend_sends_it_unchanged(seeded, settings, mailoutbox):
    # What django-anymail relies on: an ordinary EmailMultiAlternatives with extra headers.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    deliver(seeded["team"])

    assert sorted(m.to[0] for m in mailoutbox) == ["eng@example.com", "lea@example.com"]
    message = mailoutbox[0]
    assert message.alternatives[0][1] == "text/html"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.subject == "Readiness — Payments team: 3.8/10 (-0.5)"
