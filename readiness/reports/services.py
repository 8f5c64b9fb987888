"""Write logic for weekly reports: render, claim, send (exactly once per team and week), retry,
settings, subscriptions and one-click unsubscribe. See docs/reports.md.

The claim is the row: ``WeeklyReport`` is unique on (team, week_start), so whoever inserts it owns
the week (healthchecks.io claims with a conditional update; a unique row does the same and keeps
what was sent). Sending then moves the row from claimed (or retrying) to sending with a
conditional UPDATE, so of two workers holding the same task only the one whose update counted 1
sends; the other returns.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from readiness.core.outbox import ClaimLost, outbox_enqueue, outbox_ensure_held
from readiness.reports import selectors
from readiness.reports.models import (
    MAX_EXTERNAL_ADDRESSES,
    ReportSchedule,
    ReportStatus,
    ReportSubscription,
    ReportTrigger,
    WeeklyReport,
)
from readiness.reports.schedule import first_week, week_start_for
from readiness.teams.activity import activity_record
from readiness.teams.models import Team, validate_timezone

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # the first try and five retries
RETRY_BACKOFF_BASE = 60  # seconds: 60, 120, 240, 480, 960 at most, each drawn at random below that
RETRY_BACKOFF_MAX = 1800  # under the broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT)
# A claimed row whose task never started (the enqueue was lost) is enqueued again after this.
CLAIM_STALE_AFTER = timedelta(minutes=10)
# Replaced per recipient by that recipient's unsubscribe link (rendering once serves everyone).
UNSUBSCRIBE_PLACEHOLDER = "READINESS-UNSUBSCRIBE-URL"
UNSUBSCRIBE_SALT = "readiness.reports.unsubscribe"
RETRYABLE = (smtplib.SMTPException, OSError)


class ReportError(ValueError):
    """A request that cannot be carried out; the message is for the user."""


# Rendering -------------------------------------------------------------------------------------


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from ``emails/<name>-subject.txt``, ``-body.txt`` and ``-body.html``."""
    subject = render_to_string(f"emails/{name}-subject.txt", context)
    subject = " ".join(subject.split())  # one line: a newline in a header would be refused
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    return subject, text, html


def team_label(name: str) -> str:
    return name if name.lower().endswith("team") else f"{name} team"


def report_render(*, data: dict) -> tuple[str, str, str]:
    """(subject, text, html): "Payments team: 2 repositories got worse: api 8.1 → 6.0, ..." and the
    two parts, from ``selectors.report_build``'s data."""
    context = {
        **data,
        "team_label": team_label(data["team"]["name"]),
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "brand": "Readiness",
    }
    return render_email("weekly-report", context)


# Unsubscribe tokens ----------------------------------------------------------------------------


def unsubscribe_token(*, team_id: int, user_id: int | None = None, address: str = "") -> str:
    payload = {"t": team_id, "u": user_id} if user_id is not None else {"t": team_id, "e": address.lower()}
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, team_id: int, user_id: int | None = None, address: str = "") -> str:
    token = unsubscribe_token(team_id=team_id, user_id=user_id, address=address)
    return selectors.absolute_url(reverse("reports:unsubscribe", kwargs={"token": token}))


def unsubscribe_read(token: str) -> dict:
    """The token's payload, or ReportError. Tokens do not expire: old e-mails' links keep working."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise ReportError("This unsubscribe link is not valid.") from None
    if not isinstance(payload, dict) or "t" not in payload:
        raise ReportError("This unsubscribe link is not valid.")
    return payload


def report_unsubscribe(*, token: str) -> dict:
    """Turn the report off for the one user (or external address) the token names."""
    payload = unsubscribe_read(token)
    team = Team.objects.filter(pk=payload["t"]).first()
    if team is None:
        raise ReportError("This team no longer exists.")
    if payload.get("u") is not None:
        ReportSubscription.objects.update_or_create(
            team=team, user_id=payload["u"], defaults={"receives": False}
        )
        return {"team": team, "who": "you"}
    address = payload.get("e", "")
    with transaction.atomic():
        schedule = ReportSchedule.objects.select_for_update().filter(team=team).first()
        if schedule is not None:
            schedule.external_addresses = [a for a in schedule.external_addresses if a.lower() != address]
            schedule.save(update_fields=["external_addresses", "updated_at"])
    return {"team": team, "who": address}


def subscription_set(*, team, user, receives: bool) -> ReportSubscription:
    subscription, _ = ReportSubscription.objects.update_or_create(
        team=team, user=user, defaults={"receives": receives}
    )
    return subscription


# Schedule --------------------------------------------------------------------------------------


def clean_addresses(text: str) -> list[str]:
    """External addresses from a textarea (one per line, or separated by commas); ReportError."""
    addresses, seen = [], set()
    for raw in text.replace(",", "\n").splitlines():
        address = raw.strip()
        if not address or address.lower() in seen:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ReportError(f"{address!r} is not an e-mail address.") from None
        addresses.append(address)
        seen.add(address.lower())
    if len(addresses) > MAX_EXTERNAL_ADDRESSES:
        raise ReportError(f"At most {MAX_EXTERNAL_ADDRESSES} external addresses.")
    return addresses


def schedule_update(
    *, team, weekday: int, hour: int, timezone_name: str, enabled: bool, external_addresses: list[str]
) -> ReportSchedule:
    """The team's report schedule, and the team's time zone (its weeks' boundaries)."""
    schedule = ReportSchedule.objects.filter(team=team).first() or ReportSchedule(team=team)
    schedule.weekday, schedule.hour = weekday, hour
    schedule.enabled, schedule.external_addresses = enabled, external_addresses
    schedule.full_clean(exclude=["team"])
    validate_timezone(timezone_name)
    team.timezone = timezone_name
    with transaction.atomic():
        team.save(update_fields=["timezone"])
        schedule.save()
    return schedule


# Claiming --------------------------------------------------------------------------------------


def report_claim(
    *,
    team_id: int,
    week_start: date,
    trigger: str = ReportTrigger.SCHEDULE,
    user=None,
    now: datetime | None = None,
) -> WeeklyReport | None:
    """Insert the (team, week) row; None when it exists already (someone else owns that week).

    The lease is measured on the caller's clock (``now``): the sweep that runs right after the
    claim compares it with that same ``now``, so a lease taken on another clock would look stale
    at once and the week would be enqueued twice."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return WeeklyReport.objects.create(
                team_id=team_id,
                week_start=week_start,
                trigger=trigger,
                requested_by=user,
                lease_until=now + CLAIM_STALE_AFTER,
            )
    except IntegrityError:
        return None


def _enqueue(team_id: int, week_start: date, delay: float = 0) -> None:
    """The week's outbox row (readiness/core/outbox.py): published on commit, again until claimed."""
    outbox_enqueue(
        task="reports.send_weekly",
        args=[team_id, week_start.isoformat()],
        dedup_key=f"weekly-report:{team_id}:{week_start.isoformat()}",
        delay=delay,
    )


def report_retry_later(*, team_id: int, week_start: date, delay: float) -> None:
    _enqueue(team_id, week_start, delay=delay)


def reports_enqueue_due(*, now: datetime | None = None) -> dict:
    """Beat's job: claim every due week and enqueue one task per team; then sweep stale rows."""
    now = now or timezone.now()
    enqueued = 0
    for team_id, week_start in selectors.reports_due(now=now):
        report = report_claim(team_id=team_id, week_start=week_start, now=now)
        if report is not None:  # None: another beat (or a lead's "send now") got there first
            _enqueue(team_id, week_start)
            enqueued += 1
    return {"enqueued": enqueued, **reports_sweep(now=now)}


def reports_sweep(*, now: datetime | None = None) -> dict:
    """Rows that lost their task: claimed or retrying past their time are enqueued again (the
    conditional update still lets one send); a row stuck in "sending" past its lease is marked
    failed and left for a lead, because the SMTP server may have accepted it before the worker died
    and sending again could send twice."""
    now = now or timezone.now()
    requeued = 0
    stale = WeeklyReport.objects.filter(
        status__in=[ReportStatus.CLAIMED, ReportStatus.RETRYING], lease_until__lt=now
    ).values_list("pk", "team_id", "week_start")
    for report_id, team_id, week_start in stale:
        # Push the lease forward so the next sweep does not enqueue it again meanwhile.
        if WeeklyReport.objects.filter(pk=report_id, lease_until__lt=now).update(
            lease_until=now + CLAIM_STALE_AFTER
        ):
            _enqueue(team_id, week_start)
            requeued += 1
    died = WeeklyReport.objects.filter(status=ReportStatus.SENDING, lease_until__lt=now).update(
        status=ReportStatus.FAILED,
        error="The worker stopped while sending; it was not sent again in case it had gone out. "
        "Check with the recipients, then use Try again.",
        lease_until=None,
        updated_at=now,
    )
    return {"requeued": requeued, "presumed_dead": died}


def report_send_now(*, team, user, now: datetime | None = None) -> WeeklyReport:
    """A lead's "Send now": this week's report, early. It is the week's one report: the schedule
    will not send another, and a week already sent is not sent twice (ReportError)."""
    now = now or timezone.now()
    week_start = week_start_for(now, team.timezone)
    first = first_week(team.created_at, team.timezone)
    if week_start < first:
        raise ReportError(
            "The team's first report covers the days since it was created; it can go out from "
            f"{first:%A} {first.day} {first:%B %Y}."
        )
    report = report_claim(
        team_id=team.pk, week_start=week_start, trigger=ReportTrigger.MANUAL, user=user, now=now
    )
    if report is None:
        existing = WeeklyReport.objects.get(team=team, week_start=week_start)
        raise ReportError(
            f"This week's report is already {existing.get_status_display().lower()}"
            + (f" ({existing.sent_at:%Y-%m-%d %H:%M} UTC)." if existing.sent_at else ".")
        )
    _enqueue(team.pk, week_start)
    activity_record(team=team, actor=user, verb="report.sent_now", target=f"week of {week_start}", obj=report)
    return report


def report_retry(*, report: WeeklyReport, user) -> WeeklyReport:
    """A lead's "Try again" on a failed report: a new round of attempts, to the recipients that
    did not get it yet. Only a failed row can be re-claimed, and only once per click."""
    claimed = WeeklyReport.objects.filter(pk=report.pk, status=ReportStatus.FAILED).update(
        status=ReportStatus.CLAIMED,
        attempts=0,
        requested_by=user,
        lease_until=timezone.now() + CLAIM_STALE_AFTER,
        updated_at=timezone.now(),
    )
    if not claimed:
        raise ReportError("Only a failed report can be tried again.")
    _enqueue(report.team_id, report.week_start)
    report.refresh_from_db()
    activity_record(
        team=report.team,
        actor=user,
        verb="report.retried",
        target=f"the week of {report.week_start}",
        obj=report,
    )
    return report


# Sending ---------------------------------------------------------------------------------------


@dataclass
class DeliveryOutcome:
    report: WeeklyReport | None
    # Seconds until the next attempt when the task should retry; None otherwise.
    retry_in: int | None = None
    error: Exception | None = None


def _start(team_id: int, week_start: date, now: datetime, takeover: bool = False) -> WeeklyReport | None:
    """claimed/retrying -> sending, as one conditional UPDATE: one caller wins, the others get None.
    ``takeover``: the caller holds the week's outbox claim, so a row left "sending" belongs to a
    dead worker and is resumed (its recipients marked sent are not sent again)."""
    lease = now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    statuses = [ReportStatus.CLAIMED, ReportStatus.RETRYING] + ([ReportStatus.SENDING] if takeover else [])
    with transaction.atomic():
        outbox_ensure_held()
        won = WeeklyReport.objects.filter(team_id=team_id, week_start=week_start, status__in=statuses).update(
            status=ReportStatus.SENDING, attempts=F("attempts") + 1, lease_until=lease, updated_at=now
        )
    if won != 1:
        return None
    return WeeklyReport.objects.select_related("team", "team__report_schedule").get(
        team_id=team_id, week_start=week_start
    )


def _prepare(report: WeeklyReport, now: datetime) -> None:
    """Render and resolve recipients once, on the first attempt; retries send the same thing."""
    if report.subject:
        return
    data = selectors.report_build(team=report.team, now=now, week_start=report.week_start)
    report.subject, report.body_text, report.body_html = report_render(data=data)
    report.figures = data["figures"]
    report.recipients = [{**r, "status": "pending"} for r in selectors.report_recipients(team=report.team)]
    fields = ["subject", "body_text", "body_html", "figures", "recipients"]
    _update_held(report, **{name: getattr(report, name) for name in fields})


def _message(report: WeeklyReport, recipient: dict, domain: str) -> EmailMultiAlternatives:
    url = unsubscribe_url(team_id=report.team_id, user_id=recipient["user_id"], address=recipient["address"])
    digest = hashlib.sha256(recipient["address"].lower().encode()).hexdigest()[:12]
    message = EmailMultiAlternatives(
        subject=report.subject,
        body=report.body_text.replace(UNSUBSCRIBE_PLACEHOLDER, url),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient["address"]],
        headers={
            # RFC 2369 and RFC 8058: mail clients show "Unsubscribe" and POST to it in one click.
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"Readiness weekly report <{report.team.slug}.weekly.{domain}>",
            "Auto-Submitted": "auto-generated",
            # The same id on every attempt: a copy that did go out twice is one message to clients.
            "Message-ID": f"<weekly.{report.pk}.{report.week_start}.{digest}@{domain}>",
        },
    )
    message.attach_alternative(report.body_html.replace(UNSUBSCRIBE_PLACEHOLDER, url), "text/html")
    return message


def _update_held(report: WeeklyReport, **fields) -> None:
    """Write to the row only while this delivery holds the week's outbox claim, checked in the same
    transaction (which holds the claim's row lock until commit). A delivery taken over (its lease
    ran out while it was frozen) gets ClaimLost instead: it cannot overwrite what the new holder
    recorded, and the new holder, which claims after this commits, reads every recipient sent so far
    as sent. A plain write outside an outbox task."""
    with transaction.atomic():
        outbox_ensure_held()
        WeeklyReport.objects.filter(pk=report.pk).update(**fields, updated_at=timezone.now())


def _record_recipients(report: WeeklyReport) -> None:
    """Each recipient's outcome is saved as it happens: a worker dying mid-send leaves the row
    knowing who has it, and the retry sends only to the others (the one being sent at the crash
    may get a second copy, with the same Message-ID)."""
    _update_held(report, recipients=report.recipients)


def _permanently_refused(exc: Exception) -> bool:
    """A 5xx refusal of the one recipient of a message: retrying will not help that address."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(code >= 500 for code, _ in exc.recipients.values())
    return False


def _readable(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        return f"The mail server answered {exc.smtp_code}: {message}"[:1000]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "The mail server refused the recipients: " + ", ".join(exc.recipients)[:900]
    if isinstance(exc, OSError):
        return f"Could not reach the mail server: {exc.strerror or exc}"[:1000]
    return f"Sending failed: {type(exc).__name__}"[:1000]


def report_deliver(
    *, team_id: int, week_start: date, now: datetime | None = None, takeover: bool = False
) -> DeliveryOutcome:
    """Send the (team, week) report if this call wins it. Safe to call any number of times.

    Returns the sent (or failed) row, or ``report=None`` when another call has it or it is done.
    On a transient failure the row becomes "retrying" and ``retry_in`` says when to try again;
    after MAX_ATTEMPTS it becomes "failed", which leads see on the team page. Raises ClaimLost when
    the week's outbox claim is taken over meanwhile: the new holder sends to those left.
    """
    now = now or timezone.now()
    report = _start(team_id, week_start, now, takeover=takeover)
    if report is None and report_claim(team_id=team_id, week_start=week_start, now=now) is not None:
        report = _start(team_id, week_start, now)  # a direct call claims an unclaimed week first
    if report is None:
        return DeliveryOutcome(None)
    error: Exception | None = None
    try:
        _prepare(report, now)
        domain = urlsplit(settings.SITE_URL).hostname or "readiness.invalid"
        pending = [r for r in report.recipients if r["status"] == "pending"]
        if pending:
            with get_connection(fail_silently=False) as connection:
                for recipient in pending:
                    message = _message(report, recipient, domain)
                    outbox_ensure_held()  # last check before an e-mail that cannot be taken back
                    try:
                        connection.send_messages([message])
                    except smtplib.SMTPRecipientsRefused as exc:
                        if not _permanently_refused(exc):
                            raise
                        recipient["status"] = "refused"
                        recipient["error"] = _readable(exc)
                        _record_recipients(report)
                        continue
                    recipient["status"] = "sent"
                    _record_recipients(report)
    except ClaimLost:
        raise  # taken over: the new holder sends the rest and decides how the row ends
    except Exception as exc:  # recorded on the row; retried or left failed for a lead
        error = exc
    if error is None:
        done = {"status": ReportStatus.SENT, "recipients": report.recipients, "sent_at": timezone.now()}
        done.update(error="", lease_until=None)
        _update_held(report, **done)
        for field, value in done.items():
            setattr(report, field, value)
        logger.info("weekly report %s sent to %s recipients", report.pk, report.sent_count)
        return DeliveryOutcome(report)
    retryable = isinstance(error, RETRYABLE) and report.attempts < MAX_ATTEMPTS
    retry_in = None
    if retryable:
        retry_in = get_exponential_backoff_interval(
            factor=RETRY_BACKOFF_BASE,
            retries=report.attempts - 1,
            maximum=RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
    _update_held(
        report,
        status=ReportStatus.RETRYING if retryable else ReportStatus.FAILED,
        recipients=report.recipients,
        error=_readable(error),
        # A retrying row whose retry message is lost is picked up by the sweep after this.
        lease_until=now + timedelta(seconds=retry_in) + CLAIM_STALE_AFTER if retryable else None,
    )
    report.refresh_from_db()
    level = logging.WARNING if retryable else logging.ERROR
    logger.log(
        level,
        "weekly report %s attempt %s failed: %s",
        report.pk,
        report.attempts,
        report.error,
        # A bug (not a mail server's answer) deserves its traceback in the log.
        exc_info=error if not isinstance(error, RETRYABLE) else None,
    )
    return DeliveryOutcome(report, retry_in=retry_in, error=error)


def report_preview(*, team, now: datetime | None = None) -> dict:
    """This week's report as it would go out now, for the browser (nothing is claimed or sent)."""
    data = selectors.report_build(team=team, now=now)
    subject, text, html = report_render(data=data)
    return {"data": data, "subject": subject, "body_text": text, "body_html": html}


def stored_body(report_or_preview_body: str, *, team) -> str:
    """A stored body for the browser: the per-recipient unsubscribe link becomes the settings page."""
    url = selectors.absolute_url(reverse("reports:list", kwargs={"team_slug": team.slug}))
    return report_or_preview_body.replace(UNSUBSCRIBE_PLACEHOLDER, url)
