"""Weekly e-mailed reports: each team's schedule, each member's choice, and one row per sent week.

The row of ``WeeklyReport`` is the claim: its unique (team, week_start) means a second beat, a
second worker or a redelivered task cannot create a second report for the same week.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

# Migration 0001 names these (the time zone lived on the schedule then; it is the team's now).
from readiness.teams.models import Team, default_timezone, validate_timezone  # noqa: F401

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
DEFAULT_WEEKDAY = 0
DEFAULT_HOUR = 9
MAX_EXTERNAL_ADDRESSES = 20


class ReportSchedule(models.Model):
    """When a team's report goes out, in the team's time zone (``Team.timezone``). A team without
    a row gets the defaults (Monday 09:00)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="report_schedule")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, default=DEFAULT_WEEKDAY)
    hour = models.PositiveSmallIntegerField(default=DEFAULT_HOUR, validators=[MaxValueValidator(23)])
    enabled = models.BooleanField(default=True)
    # Addresses outside the team (a manager, a mailing list) that leads add.
    external_addresses = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.team}: {self.get_weekday_display()} {self.hour:02d}:00 {self.team.timezone}"


class ReportSubscription(models.Model):
    """A member's choice. Without a row, leads and engineers receive the report and viewers do not."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="report_subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    receives = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_report_subscription_per_member")
        ]

    def __str__(self):
        return f"{self.user} {'receives' if self.receives else 'does not receive'} {self.team}'s report"


class ReportStatus(models.TextChoices):
    CLAIMED = "claimed", "Queued"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ReportTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Sent now by a lead"


class WeeklyReport(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="weekly_reports")
    # Monday of the ISO week the report is sent in (the claim), in the team's time zone; the report
    # covers the seven days before it (reports.schedule.reported_week).
    week_start = models.DateField()
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.CLAIMED)
    trigger = models.CharField(max_length=16, choices=ReportTrigger.choices, default=ReportTrigger.SCHEDULE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sending attempts in the current round (a lead's "try again" starts a new round).
    attempts = models.PositiveSmallIntegerField(default=0)
    # [{"address", "user_id" (or null for an external address), "status": "pending"|"sent"|"refused"}]
    recipients = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300, blank=True, default="")
    # As rendered once, on the first attempt; retries send the same text.
    body_text = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    # The headline figures, for lists: {"overall", "previous", "change"}.
    figures = models.JSONField(default=dict, blank=True)
    # A message a lead can read (the SMTP server's answer), never a traceback.
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # claimed: re-enqueue after; sending: presumed dead after; retrying: next attempt overdue after.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "week_start"], name="one_weekly_report_per_team_week")
        ]
        indexes = [models.Index(fields=["status", "lease_until"])]

    def __str__(self):
        return f"{self.team} week of {self.week_start} ({self.status})"

    @property
    def sent_count(self) -> int:
        return sum(1 for r in self.recipients if r.get("status") == "sent")
