"""One report per team and week: racing workers, beat firing twice, redelivery, retries."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from readiness.reports import selectors, services
from readiness.reports.models import ReportStatus, WeeklyReport
from readiness.reports.tasks import enqueue_due_task, send_weekly_task

RECIPIENTS = ["eng@example.com", "lea@example.com"]


def this_week(team):
    return selectors.current_week(team=team, now=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_team_send_one_email(seeded, smtp_server):
    team, week = seeded["team"], this_week(seeded["team"])
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.report_deliver(team_id=team.pk, week_start=week))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert sorted(m["To"] for m in smtp_server.messages) == RECIPIENTS  # one each, not two
    assert sorted(o.report is None for o in outcomes) == [False, True]  # one won, one found it taken
    assert WeeklyReport.objects.get().status == ReportStatus.SENT


@pytest.mark.django_db
def test_beat_firing_twice_sends_one_report(
    seeded, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    due_time = _due_now(seeded["team"])
    with django_capture_on_commit_callbacks(execute=True) as first:
        assert services.reports_enqueue_due(now=due_time)["enqueued"] == 1
    with django_capture_on_commit_callbacks(execute=True) as second:
        assert services.reports_enqueue_due(now=due_time + timedelta(minutes=5))["enqueued"] == 0

    assert len(first) == 1 and len(second) == 0
    assert sorted(m["To"] for m in smtp_server.messages) == RECIPIENTS
    assert WeeklyReport.objects.get().status == ReportStatus.SENT


@pytest.mark.django_db
@pytest.mark.parametrize("offset_days", [-20, 20])
def test_a_beat_whose_now_is_far_from_the_clock_enqueues_its_claim_once(
    seeded, offset_days, django_capture_on_commit_callbacks
):
    """The claim's lease and the sweep that follows it in the same beat use the same clock: a
    claim made "now" is never stale to the sweep of that same "now", whatever the real time."""
    from readiness.reports.schedule import due_at, week_start_for

    schedule = selectors.schedule_for_team(team=seeded["team"])
    week = week_start_for(timezone.now() + timedelta(days=offset_days), schedule.timezone)
    when = due_at(schedule, week) + timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.reports_enqueue_due(now=when)

    assert result["enqueued"] == 1 and result["requeued"] == 0
    assert len(callbacks) == 1
    assert WeeklyReport.objects.get().lease_until == when + services.CLAIM_STALE_AFTER


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_running_at_once_send_one_report(seeded, smtp_server, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # each beat's enqueue sends in its own thread
    due_time = _due_now(seeded["team"])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def beat():
        try:
            barrier.wait(timeout=10)
            results.append(enqueue_due_task.apply(kwargs={"now": due_time}).result["enqueued"])
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert sum(results) == 1  # one claimed the week, the other found it taken
    assert sorted(m["To"] for m in smtp_server.messages) == RECIPIENTS
    assert WeeklyReport.objects.count() == 1


@pytest.mark.django_db
def test_a_task_delivered_twice_sends_once(seeded, smtp_server):
    args = (seeded["team"].pk, this_week(seeded["team"]).isoformat())
    assert send_weekly_task.apply(args).get() == ReportStatus.SENT
    assert send_weekly_task.apply(args).get() == "taken"
    assert sorted(m["To"] for m in smtp_server.messages) == RECIPIENTS


@pytest.mark.django_db
def test_smtp_down_retries_with_backoff_then_succeeds_once(seeded, smtp_down, settings, smtp_server_later):
    team, week = seeded["team"], this_week(seeded["team"])

    outcome = services.report_deliver(team_id=team.pk, week_start=week)

    report = outcome.report
    assert report.status == ReportStatus.RETRYING and report.attempts == 1
    assert "Could not reach the mail server" in report.error
    assert 0 <= outcome.retry_in <= services.RETRY_BACKOFF_BASE  # full jitter below the first step
    assert report.subject  # rendered once, kept for the retries

    server = smtp_server_later()  # the mail server is back
    outcome = services.report_deliver(team_id=team.pk, week_start=week)
    assert outcome.report.status == ReportStatus.SENT and outcome.report.attempts == 2
    assert sorted(m["To"] for m in server.messages) == RECIPIENTS
    assert services.report_deliver(team_id=team.pk, week_start=week).report is None
    assert len(server.messages) == 2


@pytest.mark.django_db
def test_after_the_last_retry_the_report_is_failed_and_shown_to_leads_then_try_again_sends_once(
    seeded, smtp_down, settings, smtp_server_later, client, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    team = seeded["team"]
    # Eager mode runs each retry at once: the whole chain of attempts happens in this call.
    result = send_weekly_task.apply((team.pk, this_week(team).isoformat()))

    assert result.get() == ReportStatus.FAILED
    report = WeeklyReport.objects.get()
    assert report.status == ReportStatus.FAILED and report.attempts == services.MAX_ATTEMPTS
    assert [r["status"] for r in report.recipients] == ["pending", "pending"]

    client.force_login(seeded["lead"])
    page = client.get(f"/t/{team.slug}/").content.decode()
    assert "Weekly report not sent" in page and "Could not reach the mail server" in page
    client.force_login(seeded["engineer"])
    assert "Weekly report not sent" not in client.get(f"/t/{team.slug}/").content.decode()

    server = smtp_server_later()
    client.force_login(seeded["lead"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/t/{team.slug}/reports/{report.pk}/retry/")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT
    assert sorted(m["To"] for m in server.messages) == RECIPIENTS
    # A second click finds nothing to retry.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/t/{team.slug}/reports/{report.pk}/retry/")
    assert len(server.messages) == 2


@pytest.mark.django_db
def test_a_retry_after_a_partial_send_does_not_send_twice(seeded, smtp_server):
    team, week = seeded["team"], this_week(seeded["team"])
    smtp_server.refuse["lea@example.com"] = "451 4.3.0 Try again later"  # temporary: retried

    outcome = services.report_deliver(team_id=team.pk, week_start=week)
    assert outcome.report.status == ReportStatus.RETRYING
    statuses = {r["address"]: r["status"] for r in outcome.report.recipients}
    assert statuses == {"eng@example.com": "sent", "lea@example.com": "pending"}

    del smtp_server.refuse["lea@example.com"]
    outcome = services.report_deliver(team_id=team.pk, week_start=week)
    assert outcome.report.status == ReportStatus.SENT
    assert sorted(m["To"] for m in smtp_server.messages) == RECIPIENTS  # eng once, lea once


@pytest.mark.django_db
def test_an_address_refused_for_good_does_not_hold_up_the_others(seeded, smtp_server):
    smtp_server.refuse["lea@example.com"] = "550 5.1.1 No such user"

    outcome = services.report_deliver(team_id=seeded["team"].pk, week_start=this_week(seeded["team"]))

    assert outcome.report.status == ReportStatus.SENT and outcome.retry_in is None
    statuses = {r["address"]: r["status"] for r in outcome.report.recipients}
    assert statuses == {"eng@example.com": "sent", "lea@example.com": "refused"}
    assert [m["To"] for m in smtp_server.messages] == ["eng@example.com"]


@pytest.mark.django_db
def test_the_sweep_requeues_lost_claims_and_fails_dead_sends_without_resending(
    seeded, smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    team, week = seeded["team"], this_week(seeded["team"])
    report = services.report_claim(team_id=team.pk, week_start=week)  # ...and the enqueue was lost
    later = timezone.now() + services.CLAIM_STALE_AFTER + timedelta(minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_sweep(now=later)["requeued"] == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT and len(smtp_server.messages) == 2

    # A worker that died mid-send: the row stays "sending" past its lease.
    WeeklyReport.objects.filter(pk=report.pk).update(status=ReportStatus.SENDING, lease_until=timezone.now())
    assert services.reports_sweep(now=later)["presumed_dead"] == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "not sent again" in report.error
    assert len(smtp_server.messages) == 2


@pytest.mark.django_db
def test_the_beat_task_is_scheduled_every_five_minutes_on_the_email_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reports.enqueue_due"]
    assert entry == {"task": "reports.enqueue_due", "schedule": 300.0}
    assert enqueue_due_task.name == "reports.enqueue_due"
    assert settings.CELERY_TASK_ROUTES["reports.*"] == {"queue": "email"}


def _due_now(team):
    """A moment at which the team's default schedule (Monday 09:00) has come this week."""
    from readiness.reports.schedule import due_at

    week = this_week(team)
    return max(timezone.now(), due_at(selectors.schedule_for_team(team=team), week))


@pytest.mark.django_db(transaction=True)
def test_a_send_taken_over_mid_loop_reaches_each_recipient_once(seeded, smtp_server, settings, monkeypatch):
    """Worker A is frozen between two recipients for longer than its lease; B's delivery takes the
    week over and sends the rest. A, thawed, must not send a single e-mail more."""
    from readiness.core.models import OutboxMessage, OutboxState

    settings.OUTBOX_LEASE = 600  # no renewal of A's in the test: only the takeover moves the claim
    args, row = _week_requested(seeded)
    render = services._message
    outcomes = {}

    def delivery(name):
        try:
            outcomes[name] = send_weekly_task(*args, outbox_id=row.pk)
        finally:
            if name == "B":
                connection.close()

    def freeze_a_then_take_over(report, recipient, domain):
        if threading.current_thread().name != "B" and len(smtp_server.messages) == 2:
            # A's lease runs out while it is frozen here; the message redelivered meanwhile (the
            # relay's) claims the row and sends to those not yet sent.
            OutboxMessage.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
            b = threading.Thread(target=delivery, args=["B"], name="B")
            b.start()
            b.join(60)
        return render(report, recipient, domain)

    monkeypatch.setattr(services, "_message", freeze_a_then_take_over)
    delivery("A")

    addresses = ["cto@example.org", "eng@example.com", "lea@example.com", "ops@example.org"]
    assert sorted(m["To"] for m in smtp_server.messages) == addresses  # each once: none from A after
    assert outcomes == {"B": ReportStatus.SENT, "A": None}  # A stopped, quietly, at its next check
    report = WeeklyReport.objects.get()
    assert report.status == ReportStatus.SENT and report.attempts == 2
    assert sorted(r["address"] for r in report.recipients if r["status"] == "sent") == addresses
    row.refresh_from_db()
    assert row.state == OutboxState.DONE and row.attempts == 2  # done by B, its holder


@pytest.mark.django_db(transaction=True)
def test_a_takeover_while_an_e_mail_is_in_flight_costs_at_most_that_one(seeded, smtp_server, settings):
    """The claim is taken over while the SMTP server accepts A's second e-mail: A cannot record it
    (the successor will send it again: the documented at-least-once) and sends nothing more."""
    import asyncio

    from readiness.core.models import OutboxMessage, OutboxState

    settings.OUTBOX_LEASE = 600
    args, row = _week_requested(seeded)
    accept = smtp_server.handle_DATA

    def take_over():
        try:
            OutboxMessage.objects.filter(pk=row.pk).update(claim_token="new-holder")
        finally:
            connection.close()

    async def taken_over_during_the_second(server, session, envelope):
        answer = await accept(server, session, envelope)
        if len(smtp_server.messages) == 2:
            await asyncio.to_thread(take_over)
        return answer

    smtp_server.handle_DATA = taken_over_during_the_second
    assert send_weekly_task(*args, outbox_id=row.pk) is None

    assert [m["To"] for m in smtp_server.messages] == ["eng@example.com", "lea@example.com"]
    report = WeeklyReport.objects.get()
    sent = [r["address"] for r in report.recipients if r["status"] == "sent"]
    assert sent == ["eng@example.com"]  # lea's e-mail went out but was not recorded: resent later
    assert report.status == ReportStatus.SENDING  # the new holder's to finish
    row.refresh_from_db()
    assert row.state == OutboxState.CLAIMED and row.claim_token == "new-holder"


def _week_requested(seeded):
    """A schedule with two external addresses, the week's report claimed, and its outbox row as the
    beat's enqueue leaves it: (the message's args, the row)."""
    from readiness.core.models import OutboxMessage
    from readiness.reports.models import ReportSchedule

    team, week = seeded["team"], this_week(seeded["team"])
    ReportSchedule.objects.create(team=team, external_addresses=["cto@example.org", "ops@example.org"])
    services.report_claim(team_id=team.pk, week_start=week)
    args = [team.pk, week.isoformat()]
    row = OutboxMessage.objects.create(
        dedup_key=f"weekly-report:{team.pk}:{week.isoformat()}",
        task="reports.send_weekly",
        args=args,
        available_at=timezone.now(),
        relay_after=timezone.now(),
    )
    return args, row
