"""The weekly e-mail through a real SMTP server (aiosmtpd): parts and headers, the subject of a
regression, a progress and a no-change week, the order of the sections, checks grouped per check,
uptime with its coverage, the scores the dashboard shows, and the week across a DST change."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from readiness.reports import selectors, services
from readiness.reports.models import ReportSchedule, ReportStatus, WeeklyReport
from tests.factories import RepositoryFactory, TemplateItemFactory
from tests.reports.conftest import HEALTH, ROOT, backdate, make_run, make_team

pytestmark = pytest.mark.django_db

SECTIONS_TEXT = [
    "WHAT GOT WORSE",
    "WHAT TO DO NEXT",
    "WHAT GOT BETTER",
    "ENDPOINTS",
    "WAIVERS AND REVIEWS ENDING IN THE NEXT 14 DAYS",
    "ANALYSES FAILING",
    "EVERY REPOSITORY: THE WEEK SIDE BY SIDE",
]
SECTIONS_HTML = [
    "What got worse",
    "What to do next",
    "What got better",
    "Endpoints",
    "Waivers and reviews ending in the next 14 days",
    "Analyses failing",
    "Every repository: the week side by side",
]


def deliver(team, *, now=None, week_start=None):
    now = now or timezone.now()
    week_start = week_start or selectors.current_week(team=team, now=now)
    return services.report_deliver(team_id=team.pk, week_start=week_start, now=now)


def parts(message):
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))

    def content(part):
        return part.get_content().replace("\r\n", "\n") if part else None

    return content(text), content(html)


def subject(message) -> str:
    # A long subject with non-ASCII characters is folded after "Subject:"; clients drop that space.
    return message["Subject"].strip()


def section(text: str, title: str) -> str:
    """The lines of one section of the plain-text part, up to the next capitalised heading."""
    start = text.index(f"\n{title}\n") + len(title) + 2
    following = [m.start() for m in re.finditer(r"^[A-Z][A-Z0-9 :,]+$", text[start:], re.MULTILINE)]
    end = start + following[0] if following else text.index("\n--\n")
    return text[start:end]


def test_the_report_arrives_with_both_parts_and_the_unsubscribe_headers(seeded, smtp_server):
    outcome = deliver(seeded["team"])

    assert outcome.report.status == ReportStatus.SENT
    assert sorted(m["To"] for m in smtp_server.messages) == ["eng@example.com", "lea@example.com"]
    message = smtp_server.to("lea@example.com")[0]
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert text and html
    unsubscribe = message["List-Unsubscribe"].strip()  # a long header may be folded
    assert re.fullmatch(r"<http://localhost:8000/reports/unsubscribe/[^>]+/>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The body carries the same personal link as the header, in both parts.
    assert unsubscribe[1:-1] in text and unsubscribe[1:-1] in html
    assert services.UNSUBSCRIBE_PLACEHOLDER not in text + html
    # Each recipient gets their own link.
    other = smtp_server.to("eng@example.com")[0]
    assert other["List-Unsubscribe"].strip() != unsubscribe


def test_a_regression_week_names_the_regression_first_in_the_subject_and_the_body(seeded, smtp_server):
    deliver(seeded["team"])
    message = smtp_server.to("lea@example.com")[0]
    text, html = parts(message)

    # api fell 10.0 -> 4.0 and lost Bronze, while web rose: the regression is what the subject says.
    assert subject(message) == "Payments team: 1 repository got worse: api 10.0 → 4.0 (lost Bronze)"
    label = seeded["week"].label
    assert text.startswith(f"Payments team · week of {label}\n1 repository got worse")
    # The sections come in the order, in both parts.
    positions = [text.index(f"\n{title}") for title in SECTIONS_TEXT]
    assert positions == sorted(positions)
    positions = [html.index(f">{title}</h2>") for title in SECTIONS_HTML]
    assert positions == sorted(positions)

    worse = section(text, "WHAT GOT WORSE")
    assert worse.startswith("api: 10.0 → 4.0, lost Bronze · 1 check failing\n")
    assert "\nweb:" not in worse and "\nworker:" not in worse  # the fixed one and the unchanged one
    better = section(text, "WHAT GOT BETTER")
    assert better.startswith("web: 6.0 → 10.0\n")
    assert "  - Fixed: Image declares a HEALTHCHECK (dockerfile.healthcheck)" in better
    # The week side by side: the two runs the scores come from.
    api_runs = list(seeded["repositories"]["api"].runs.order_by("finished_at"))
    compare = (
        f"http://localhost:8000/t/payments/r/api/compare/?before={api_runs[0].pk}&after={api_runs[1].pk}"
    )
    assert f"  The week side by side: {compare}\n" in worse
    assert compare.replace("&", "&amp;") in html


def test_a_newly_failing_check_is_one_entry_with_its_files_items_fix_and_link(seeded, smtp_server):
    # A second item bound to the same check: still one entry, naming both, not one line per item.
    TemplateItemFactory(
        template=seeded["template"],
        key="drops-root",
        level="gold",
        checks=[ROOT],
        title="Drops root privileges",
    )
    deliver(seeded["team"])
    text, html = parts(smtp_server.to("lea@example.com")[0])

    worse = section(text, "WHAT GOT WORSE")
    assert worse.count("Newly failing") == 1
    assert (
        "  - Newly failing: Container runs as a non-root user (dockerfile.non_root_user), 2 items\n"
        "    in Dockerfile, worker/Dockerfile\n"
        "    Fix: Create a user in the final stage and switch to it with USER.\n"
        "    http://localhost:8000/t/payments/r/api/checklists/#item-small-non-root\n"
    ) in worse
    assert html.count("Newly failing") == 1


def test_what_to_do_next_puts_level_gates_first_then_weight_times_repositories(seeded, smtp_server):
    deliver(seeded["team"])
    text, _html = parts(smtp_server.to("lea@example.com")[0])

    steps = section(text, "WHAT TO DO NEXT")
    # non-root fails in api and worker and holds both back from Bronze; worker's healthcheck warns.
    assert steps.startswith(
        "1. Container runs as a non-root user (dockerfile.non_root_user): api, worker · Bronze item"
        " · holds back Bronze for api, worker\n"
        "   Fix: Create a user in the final stage and switch to it with USER.\n"
    )
    assert "\n2. Image declares a HEALTHCHECK (dockerfile.healthcheck): worker · Silver item\n" in steps
    assert "\n3." not in steps


def test_a_progress_week_and_a_no_change_week(db, smtp_server):
    progress = make_team(
        "Growth",
        "growth",
        {
            "app": ({ROOT: "fail", HEALTH: "pass"}, {ROOT: "pass", HEALTH: "pass"}),
            "cron": ({ROOT: "pass", HEALTH: "fail"}, {ROOT: "pass", HEALTH: "warn"}),
            "docs": ({ROOT: "pass", HEALTH: "pass"}, {ROOT: "pass", HEALTH: "pass"}),
        },
    )
    steady = make_team(
        "Core",
        "core",
        {"db": ({ROOT: "pass", HEALTH: "warn"}, {ROOT: "pass", HEALTH: "warn"}), "new": (None, None)},
    )
    deliver(progress["team"])
    deliver(steady["team"])

    (growth,) = smtp_server.to("lea-growth@example.com")
    assert (
        subject(growth)
        == "Growth team: 2 repositories got better: app 4.0 → 10.0 (reached Bronze), cron 6.0 → 8.0"
    )
    text, _ = parts(growth)
    assert "WHAT GOT WORSE\nNothing got worse.\n" in text
    (core,) = smtp_server.to("lea-core@example.com")
    assert subject(core) == "Core team: no change"
    text, _ = parts(core)
    # Never analysed: no number, never 0.0, and not "worse".
    assert "- new: not analysed yet\n" in section(text, "EVERY REPOSITORY: THE WEEK SIDE BY SIDE")


def test_a_check_that_starts_to_apply_and_passes_is_added_not_fixed(seeded):
    TemplateItemFactory(
        template=seeded["template"], key="compose-health", level="silver", checks=["compose.healthchecks"],
        title="Compose services have healthchecks",
    )  # fmt: skip
    web, week = seeded["repositories"]["web"], seeded["week"]
    make_run(
        web,
        {ROOT: "pass", HEALTH: "pass", "compose.healthchecks": "pass"},
        finished_at=week.until - timedelta(hours=1),
    )

    data = selectors.report_build(team=seeded["team"])
    _subject, text, _html = services.report_render(data=data)

    better = section(text, "WHAT GOT BETTER")
    assert "  - Added: Compose services have healthchecks (now applies and passes)\n" in better
    assert "Fixed: Compose services" not in better and "compose.healthchecks" not in better


def test_scores_are_the_dashboards_and_links_are_absolute_with_nothing_external(seeded, smtp_server, client):
    deliver(seeded["team"])
    text, html = parts(smtp_server.to("lea@example.com")[0])

    client.force_login(seeded["lead"])
    page = client.get(reverse("dashboard:team", kwargs={"team_slug": "payments"})).content.decode()
    every = section(text, "EVERY REPOSITORY: THE WEEK SIDE BY SIDE")
    for name, score in {"api": "4.0", "web": "10.0", "worker": "2.0"}.items():
        assert f"{score}<small>/10</small>" in page  # the dashboard's figure...
        assert f"- {name}: {score}" in every  # ...is the e-mail's
    # With its coverage: the manual item nobody has reviewed is not a failure, and is said.
    assert "- web: 10.0 (Bronze) · 0 of 1 reviewed, 0 checks failing" in every

    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and [h for h in hrefs if not h.startswith(settings.SITE_URL + "/")] == []
    # Every link line of the plain-text part (a fix may quote a command with a URL: not a link).
    links = re.findall(r"^\s*(?:[A-Za-z ]+: )?(https?://\S+)$", text, re.MULTILINE)
    assert len(links) > 5 and [u for u in links if not u.startswith(settings.SITE_URL + "/")] == []
    lowered = html.lower()
    for external in ("<img", "<link", "<script", "src=", "url(", "@import", "<iframe", "<object"):
        assert external not in lowered


def test_failed_analyses_expiring_waivers_and_reviews(seeded):
    from readiness.checklists.models import Attestation
    from readiness.checklists.services import records

    api, worker = seeded["repositories"]["api"], seeded["repositories"]["worker"]
    records.attestation_record(
        repository=api, template_slug="small", item_key="backup-restore", checked=True, user=seeded["lead"]
    )
    # A tick 80 days old on a 90-day interval falls due in 10 days.
    Attestation.objects.filter(repository=api).update(at=timezone.now() - timedelta(days=80))
    records.waiver_grant(
        repository=worker, template_slug="small", item_key="non-root", reason="base image migration",
        expires_on=timezone.localdate() + timedelta(days=5), user=seeded["lead"],
    )  # fmt: skip

    data = selectors.report_build(team=seeded["team"])
    _subject, text, _html = services.report_render(data=data)

    ending = section(text, "WAIVERS AND REVIEWS ENDING IN THE NEXT 14 DAYS")
    assert ": Waiver ends: worker: Runs as non-root\n" in ending
    assert ": Tick falls due: api: Backup restore tested\n" in ending
    failing = section(text, "ANALYSES FAILING")
    assert failing.startswith(
        "- worker: 1 failed run this week, succeeded since: git fetch timed out after 120 s\n"
        "  http://localhost:8000/t/payments/r/worker/runs/"
    )


def test_a_failed_backfill_of_an_old_commit_does_not_make_a_repository_still_failing(seeded):
    from readiness.repos.models import AnalysisRun, Trigger

    worker = seeded["repositories"]["worker"]
    AnalysisRun.objects.create(
        repository=worker, status="failed", trigger=Trigger.BACKFILL, ref="a" * 40, commit_sha="a" * 40,
        error="no Dockerfile at that commit", finished_at=timezone.now(),
    )  # fmt: skip
    failing = section(
        services.report_render(data=selectors.report_build(team=seeded["team"]))[1], "ANALYSES FAILING"
    )
    assert "- worker: 1 failed run this week, succeeded since" in failing  # its branch succeeded last


@pytest.mark.skipif(not apps.is_installed("readiness.endpoints"), reason="no endpoints app")
def test_uptime_says_how_much_probing_backs_it_and_incidents_their_durations(seeded, smtp_server):
    from readiness.endpoints.models import Endpoint, HourlyRollup, Incident

    week, tz = seeded["week"], seeded["team"].timezone
    api = seeded["repositories"]["api"]
    health = Endpoint.objects.create(
        repository=api,
        name="health",
        url="https://api.example.org/health",
        interval_s=60,
        next_probe_at=week.until,
    )
    fresh = Endpoint.objects.create(
        repository=api,
        name="ready",
        url="https://api.example.org/ready",
        interval_s=60,
        next_probe_at=week.until,
    )
    # health: probed every minute for the last six days of the week, 24 failures in all.
    hours = [week.until - timedelta(hours=h) for h in range(1, 6 * 24 + 1)]
    HourlyRollup.objects.bulk_create(
        HourlyRollup(endpoint=health, hour=hour, count=60, failures=1 if i % 6 == 0 else 0)
        for i, hour in enumerate(hours)
    )
    # ready: six probes at the very end of the week (the "70.59% from six minutes" of the issue).
    HourlyRollup.objects.create(endpoint=fresh, hour=week.until - timedelta(hours=1), count=6, failures=2)
    down = week.until - timedelta(days=2, hours=5)
    Incident.objects.create(endpoint=health, started_at=down, ended_at=down + timedelta(minutes=12))
    Incident.objects.create(endpoint=fresh, started_at=week.until - timedelta(minutes=50), ended_at=None)
    Incident.objects.create(  # the week before: not this week's
        endpoint=health, started_at=week.since - timedelta(days=2), ended_at=week.since - timedelta(days=1)
    )

    now = week.until + timedelta(hours=3)
    deliver(seeded["team"], now=now, week_start=week.until.date())
    text, html = parts(smtp_server.to("lea@example.com")[0])

    endpoints = section(text, f"ENDPOINTS ({tz})")
    # 8616 of 8640 probes succeeded: 99.72%, shown rounded down.
    assert "- api / health: 99.7% up, of 6 days probed\n" in endpoints
    started = down.astimezone(UTC)
    assert f"  Down {started:%a} {started.day} {started:%b %H:%M} for 12 min\n" in endpoints
    assert "- api / ready: 66.6% up, of 6 minutes probed\n" in endpoints
    assert "Down since" in endpoints and "3 h 50 min so far" in endpoints
    assert endpoints.count("Down") == 2
    assert "of 6 days probed" in html


def test_the_week_is_seven_calendar_days_in_the_teams_time_zone_across_a_dst_change(db, smtp_server):
    """Paris leaves summer time on Sunday 25 October 2026: the report of Monday 26 October covers
    Monday 19 00:00 CEST (18 Oct 22:00 UTC) to Monday 26 00:00 CET (25 Oct 23:00 UTC), 169 hours."""
    data = make_team("Paris", "paris", {}, tz="Europe/Paris")
    team = data["team"]
    ReportSchedule.objects.create(team=team, weekday=0, hour=9)
    repo = RepositoryFactory(team=team, name="site", slug="site")
    backdate(team, repo, days=400)
    from readiness.checklists.services import applied

    applied.checklist_apply(repository=repo, template=data["template"])
    at = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    make_run(repo, {ROOT: "pass", HEALTH: "pass"}, finished_at=at(2026, 10, 18, 21, 30))  # Sun 23:30: before
    make_run(repo, {ROOT: "fail", HEALTH: "pass"}, finished_at=at(2026, 10, 18, 22, 30))  # Mon 00:30: in
    make_run(repo, {ROOT: "fail", HEALTH: "fail"}, finished_at=at(2026, 10, 25, 22, 30))  # Sun 23:30: in
    make_run(repo, {ROOT: "pass", HEALTH: "pass"}, finished_at=at(2026, 10, 25, 23, 30))  # Mon 00:30: after

    monday_nine = at(2026, 10, 26, 8, 0)  # 09:00 in Paris (CET)
    assert selectors.reports_due(now=monday_nine) == [(team.pk, date(2026, 10, 26))]
    deliver(team, now=monday_nine, week_start=date(2026, 10, 26))

    (message,) = smtp_server.to("lea-paris@example.com")
    text, _html = parts(message)
    assert text.startswith("Paris team · week of 19 Oct - 25 Oct 2026\n")
    # Both checks fail at the end (Sun 23:30 CET) and passed at the start (the Sunday before):
    # a window of 7 x 24 hours from either end would have caught the run of Monday 00:30 instead.
    worse = section(text, "WHAT GOT WORSE")
    assert "Newly failing: Container runs as a non-root user" in worse
    assert "Newly failing: Image declares a HEALTHCHECK" in worse
    assert subject(message) == "Paris team: 1 repository got worse: site 10.0 → 0.0 (lost Bronze)"
    report = WeeklyReport.objects.get(team=team)
    assert report.figures["label"] == "19 Oct - 25 Oct 2026"


def test_a_teams_first_report_covers_its_own_days_and_waits_for_its_first_full_slot(db, smtp_server):
    from readiness.teams.models import Team

    data = make_team(
        "Fresh", "fresh", {"svc": ({ROOT: "pass", HEALTH: "pass"}, {ROOT: "pass", HEALTH: "pass"})}
    )
    team = data["team"]
    created = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday
    Team.objects.filter(pk=team.pk).update(created_at=created)
    team.refresh_from_db()

    # Not the Monday before it existed, nor later that week, nor when created on a Monday after 09:00.
    assert selectors.reports_due(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) == []
    assert selectors.reports_due(now=datetime(2026, 12, 4, 9, 0, tzinfo=UTC)) == []
    assert selectors.reports_due(now=datetime(2026, 12, 7, 8, 59, tzinfo=UTC)) == []
    assert selectors.reports_due(now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC)) == [
        (team.pk, date(2026, 12, 7))
    ]
    built = selectors.report_build(team=team, now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    assert built["week"]["label"] == "2 Dec - 6 Dec 2026" and built["week"]["partial"]
    _subject, text, _html = services.report_render(data=built)
    assert text.startswith("Fresh team · week of 2 Dec - 6 Dec 2026 (since the team was created)\n")

    # A lead cannot send a report for the week the team was created in.
    with pytest.raises(services.ReportError, match="first report"):
        services.report_send_now(team=team, user=data["lead"], now=datetime(2026, 12, 3, 12, 0, tzinfo=UTC))


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
    assert report.subject.startswith("Payments team: 1 repository got worse")
    assert report.figures == {
        "label": seeded["week"].label,
        "summary": "1 repository got worse: api 10.0 → 4.0 (lost Bronze)",
        "worse": 1,
        "better": 1,
    }
    assert report.sent_at is not None and report.body_html and report.body_text

    client.force_login(seeded["viewer"])
    page = client.get(reverse("reports:list", kwargs={"team_slug": "payments"})).content.decode()
    assert "Sent" in page and seeded["week"].label in page and "1 repository got worse" in page
    detail = client.get(reverse("reports:detail", kwargs={"team_slug": "payments", "report_id": report.pk}))
    assert detail.status_code == 200 and b"lea@example.com: sent" in detail.content
    body = client.get(reverse("reports:html", kwargs={"team_slug": "payments", "report_id": report.pk}))
    assert body.status_code == 200
    # The e-mail's own policy, not the site's: no script, nothing loaded, framed by our pages only.
    assert "default-src 'none'" in body["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in body["Content-Security-Policy"]
    assert body["X-Frame-Options"] == "SAMEORIGIN"
    assert services.UNSUBSCRIBE_PLACEHOLDER.encode() not in body.content
    assert b"Every repository: the week side by side" in body.content


def test_without_the_endpoints_app_the_section_is_left_out(seeded, monkeypatch):
    real = selectors.apps.is_installed
    monkeypatch.setattr(
        selectors.apps, "is_installed", lambda name: name != "readiness.endpoints" and real(name)
    )
    data = selectors.report_build(team=seeded["team"])
    assert data["endpoints"] is None
    _subject, text, html = services.report_render(data=data)
    assert "ENDPOINTS" not in text and "Endpoints" not in html


def test_any_django_backend_sends_it_unchanged(seeded, settings, mailoutbox):
    # What django-anymail relies on: an ordinary EmailMultiAlternatives with extra headers.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    deliver(seeded["team"])

    assert sorted(m.to[0] for m in mailoutbox) == ["eng@example.com", "lea@example.com"]
    message = mailoutbox[0]
    assert message.alternatives[0][1] == "text/html"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.subject == "Payments team: 1 repository got worse: api 10.0 → 4.0 (lost Bronze)"
