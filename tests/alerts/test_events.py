"""Events: found where they happen, recorded once per dedup key, delivered once per channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from readiness.alerts import detect, services
from readiness.alerts.models import AlertDelivery, AlertEvent, AlertSettings
from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot, Waiver
from readiness.endpoints.models import Incident, ProbeRecord
from readiness.pipeline.analysis import analysis_execute
from readiness.repos.models import AnalysisRun, RunStatus
from tests.factories import (
    AnalysisRunFactory,
    ChecklistTemplateFactory,
    CheckResultFactory,
    EndpointFactory,
    TemplateItemFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-hmac-0123"


@pytest.fixture
def hook(team_setup, receiver, allow_local):
    team, _, _ = team_setup
    return services.channel_create(
        team=team,
        name="hook",
        kind="webhook",
        url=receiver.url("/hook"),
        secret=SECRET,
        events=[k for k, _ in AlertEvent._meta.get_field("kind").choices],
    )


def finished_run(repository, score, checks, minutes_ago, status=RunStatus.SUCCEEDED, error=""):
    run = AnalysisRunFactory(
        repository=repository,
        status=status,
        score=score,
        error=error,
        finished_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    for check_id, (status_, title, fix) in checks.items():
        CheckResultFactory(run=run, check_id=check_id, status=status_, title=title, remediation=fix)
    return run


HEALTH = ("Image declares a HEALTHCHECK", "Add HEALTHCHECK CMD curl -f http://localhost/health")
ROOT = ("Container runs as a non-root user", "Add a USER line after installing.")


def test_a_score_drop_and_a_newly_failing_check_make_one_message(team_setup, hook, receiver):
    _team, _, repository = team_setup
    finished_run(
        repository, 8.0, {"dockerfile.healthcheck": ("pass", *HEALTH), "dockerfile.user": ("fail", *ROOT)}, 60
    )
    run = finished_run(
        repository, 6.5, {"dockerfile.healthcheck": ("fail", *HEALTH), "dockerfile.user": ("fail", *ROOT)}, 1
    )
    events = detect.alerts_run_finished(run=run)
    assert sorted(e.kind for e in events) == ["check_fails", "score_drop"]
    # The same run again (a retried task, a second worker): nothing new, nobody told twice.
    assert detect.alerts_run_finished(run=run) == []
    assert AlertDelivery.objects.count() == 2
    services.alert_send(
        channel_id=hook.pk, repository_id=repository.pk, now=timezone.now() + timedelta(minutes=3)
    )
    assert len(receiver.requests) == 1
    payload = receiver.json()
    assert payload["title"] == "payments: 2 alerts"
    drop, check = payload["events"]
    assert (drop["kind"], drop["title"], drop["old"], drop["new"]) == (
        "score_drop",
        "score 8.0 → 6.5",
        8.0,
        6.5,
    )
    assert drop["summary"] == "score 8.0 → 6.5 on main"
    assert drop["details"] == [{"title": HEALTH[0], "fix": HEALTH[1]}]  # only the newly failing one
    assert drop["url"].endswith(f"/t/ops/r/payments/runs/{run.pk}/")
    assert (check["kind"], check["subject"], check["title"]) == (
        "check_fails",
        "dockerfile.healthcheck",
        f"newly fails: {HEALTH[0]}",
    )
    assert "Newly failing: Image declares a HEALTHCHECK" in payload["text"]
    assert "(fix: Add HEALTHCHECK CMD curl -f http://localhost/health)" in payload["text"]


def test_a_drop_under_the_threshold_is_not_an_alert(team_setup, hook):
    team, _, repository = team_setup
    AlertSettings.objects.create(team=team, score_drop=1.0)
    finished_run(repository, 8.0, {}, 60)
    assert detect.alerts_run_finished(run=finished_run(repository, 7.2, {}, 1)) == []


def test_losing_a_level_is_an_alert_even_with_a_small_drop(team_setup, hook):
    team, _lead, repository = team_setup
    template = TemplateItemFactory(template=ChecklistTemplateFactory(team=team)).template
    AppliedChecklist.objects.create(repository=repository, template=template, primary=True)
    before = finished_run(repository, 8.0, {}, 60)
    after = finished_run(repository, 7.9, {}, 1)
    for run, overall, level in ((before, 8.1, "silver"), (after, 8.0, "bronze")):
        ChecklistSnapshot.objects.create(
            run=run,
            repository=repository,
            template=template,
            template_slug=template.slug,
            overall=overall,
            level=level,
            taken_at=run.finished_at,
        )
    (event,) = detect.alerts_run_finished(run=after)
    assert event.kind == "score_drop" and event.title == "score 8.1 → 8.0, level Silver → Bronze"


def test_a_team_without_channels_records_nothing(team_setup):
    _team, _, repository = team_setup
    finished_run(repository, 8.0, {}, 60)
    assert detect.alerts_run_finished(run=finished_run(repository, 2.0, {}, 1)) == []


def test_analyses_failing_in_a_row_are_one_alert_per_streak(team_setup, hook, settings):
    _team, _, repository = team_setup
    settings.READINESS_ALLOW_LOCAL_SOURCES = True
    events = []
    for _ in range(4):  # a real analysis of a folder that does not exist: the pipeline calls alerts
        run = AnalysisRun.objects.create(repository=repository)
        analysis_execute(run_id=run.pk)
        run.refresh_from_db()
        assert run.status == RunStatus.FAILED
    events = list(AlertEvent.objects.filter(kind="analysis_failing"))
    assert len(events) == 1 and events[0].title == "3 analyses in a row failed"
    finished_run(repository, 8.0, {}, -1)  # it works again...
    for minutes in (-2, -3, -4):  # ...then a new streak is a new alert
        run = finished_run(repository, None, {}, minutes, status=RunStatus.FAILED, error="token expired")
        detect.alerts_run_finished(run=run)
    assert AlertEvent.objects.filter(kind="analysis_failing").count() == 2


# --- endpoints ------------------------------------------------------------------------------------


def down_probes(endpoint, incident, count, start):
    for n in range(count):
        ProbeRecord.objects.create(
            endpoint=endpoint, at=start + timedelta(seconds=15 * n), ok=False, error_class="connect"
        )


def test_an_endpoint_is_down_after_the_configured_failures_and_recovers_with_its_duration(
    team_setup, hook, receiver
):
    _team, _, repository = team_setup
    endpoint = EndpointFactory(repository=repository, name="api-health", state="down")
    start = timezone.now() - timedelta(minutes=20)
    incident = Incident.objects.create(
        endpoint=endpoint, started_at=start, error_class="connect", cause="refused"
    )
    down_probes(endpoint, incident, 2, start)
    assert detect.alerts_scan_endpoints() == []  # 2 of 3
    down_probes(endpoint, incident, 3, start)
    (down,) = detect.alerts_scan_endpoints()
    assert down.kind == "endpoint_down" and down.title == "api-health is down"
    assert detect.alerts_scan_endpoints() == []  # the next beat: same incident, nothing new
    Incident.objects.filter(pk=incident.pk).update(ended_at=start + timedelta(minutes=47))
    (up,) = detect.alerts_scan_endpoints()
    assert up.kind == "endpoint_up" and up.title == "api-health recovered after 47 min"
    assert up.data["duration_s"] == 47 * 60
    assert detect.alerts_scan_endpoints() == []


def test_a_flapping_endpoint_sends_one_down_up_pair_per_ten_minutes(team_setup, hook, receiver):
    team, _, repository = team_setup
    AlertSettings.objects.create(team=team, endpoint_failures=1)
    endpoint = EndpointFactory(repository=repository, name="flappy", state="down")
    now = timezone.now()
    for n in range(3):  # down and up every two minutes
        start = now - timedelta(minutes=6) + timedelta(minutes=2 * n)
        incident = Incident.objects.create(endpoint=endpoint, started_at=start)
        down_probes(endpoint, incident, 1, start)
        detect.alerts_scan_endpoints(now=start + timedelta(seconds=20))
        Incident.objects.filter(pk=incident.pk).update(ended_at=start + timedelta(minutes=1))
        detect.alerts_scan_endpoints(now=start + timedelta(minutes=1, seconds=20))
    events = list(AlertEvent.objects.order_by("happened_at", "id").values_list("kind", "suppressed"))
    assert events == [
        ("endpoint_down", False),
        ("endpoint_up", False),
        ("endpoint_down", True),
        ("endpoint_up", True),
        ("endpoint_down", True),
        ("endpoint_up", True),
    ]
    assert AlertDelivery.objects.count() == 2  # one pair delivered


# --- waivers ------------------------------------------------------------------------------------


def test_waivers_ending_soon_and_ended_are_alerts_once(team_setup, hook):
    team, _lead, repository = team_setup
    today = timezone.localdate()
    item = TemplateItemFactory(template=ChecklistTemplateFactory(team=team), title="Run as non-root")

    def waiver(days):
        return Waiver.objects.create(
            repository=repository,
            template_slug=item.template.slug,
            item_key=item.key,
            reason="legacy base image",
            expires_on=today + timedelta(days=days),
            created_at=timezone.now(),
        )

    soon, ended, old, later = waiver(7), waiver(-1), waiver(-10), waiver(8)
    events = {e.subject: e for e in detect.alerts_scan_waivers()}
    assert set(events) == {f"waiver:{soon.pk}", f"waiver:{ended.pk}"}
    assert events[f"waiver:{soon.pk}"].title == "waiver of “Run as non-root” ends in 7 days"
    assert events[f"waiver:{ended.pk}"].title == "waiver of “Run as non-root” expired"
    assert events[f"waiver:{ended.pk}"].data["details"] == [
        {"title": "Run as non-root", "fix": "Waived because: legacy base image"}
    ]
    assert detect.alerts_scan_waivers() == []
    assert old.pk and later.pk
