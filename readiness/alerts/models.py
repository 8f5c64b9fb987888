"""Alert channels of a team, the events worth telling them about, and each channel's delivery of
each event (docs/alerts.md).

- ``Channel``: where a team is told (Slack, Microsoft Teams, Discord, Mattermost, a signed JSON
  webhook, e-mail), which events it wants and, optionally, only for which repositories. Its URL (a
  webhook URL is a credential) and the webhook's signing secret are Fernet ciphertexts
  (readiness/core/crypto.py), never shown back: pages show ``url_hint``, a masked form.
- ``AlertEvent``: one thing that happened, once: ``dedup_key`` names it by (repository, kind,
  subject, run or incident), so two beats, a retry or a redelivered task record it once.
- ``AlertDelivery``: one channel's copy of one event, unique per (channel, event): the unit of
  "sent once". Deliveries of one channel and repository that are due together go out as one message.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from readiness.repos.models import Repository
from readiness.teams.models import Team


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    DISCORD = "discord", "Discord"
    MATTERMOST = "mattermost", "Mattermost"
    WEBHOOK = "webhook", "JSON webhook (signed)"
    EMAIL = "email", "E-mail"


class EventKind(models.TextChoices):
    SCORE_DROP = "score_drop", "Score dropped or level lost"
    CHECK_FAILS = "check_fails", "A check newly fails"
    WAIVER_EXPIRING = "waiver_expiring", "A waiver expires in 7 days"
    WAIVER_EXPIRED = "waiver_expired", "A waiver expired"
    ENDPOINT_DOWN = "endpoint_down", "An endpoint is down"
    ENDPOINT_UP = "endpoint_up", "An endpoint recovered"
    ANALYSIS_FAILING = "analysis_failing", "Analyses keep failing"


def all_event_kinds() -> list[str]:
    return [kind.value for kind in EventKind]


class Channel(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="alert_channels")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    # Fernet ciphertext of the channel's URL (an Apprise URL, a webhook URL, or mailto: addresses).
    url_encrypted = models.TextField()
    # What pages show instead: the URL with its secret parts masked.
    url_hint = models.CharField(max_length=300, blank=True, default="")
    # The JSON webhook's HMAC-SHA256 key (Fernet ciphertext); empty for the other kinds.
    secret_encrypted = models.TextField(blank=True, default="")
    events = models.JSONField(default=all_event_kinds)
    # Only these repositories' events; none selected: every repository of the team.
    repositories = models.ManyToManyField(Repository, blank=True, related_name="+")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The last "Send test": when, whether the service accepted it, and what it answered.
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_answer = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="alert_channel_name_unique")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def wants(self, kind: str) -> bool:
        return kind in (self.events or [])


class AlertSettings(models.Model):
    """A team's thresholds; a team without a row uses the defaults below."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="alert_settings")
    # A drop of at least this much of the score (out of 10) is an alert; losing a level always is.
    score_drop = models.FloatField(default=0.5, validators=[MinValueValidator(0.1), MaxValueValidator(10)])
    # An endpoint is reported down after this many failed probes in a row.
    endpoint_failures = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Analyses of one repository failing this many times in a row are reported (once per streak).
    analysis_failures = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Events of one repository within this many seconds go out as one message.
    group_window_s = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(0), MaxValueValidator(3600)]
    )

    def __str__(self):
        return f"alert settings of {self.team}"


class AlertEvent(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    # What the event is about (an endpoint, a waiver, "score") and the run or incident it belongs to.
    subject = models.CharField(max_length=300)
    ref = models.CharField(max_length=100)
    # repository:kind:subject:ref; unique, so recording the same event again is a no-op.
    dedup_key = models.CharField(max_length=500, unique=True)
    title = models.CharField(max_length=300)
    # {"summary", "details": [{"title", "fix"}], "old", "new", "url", ...}: what messages show.
    data = models.JSONField(default=dict, blank=True)
    happened_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Recorded but not sent: a flapping endpoint's down/up inside the flap window (docs/alerts.md).
    suppressed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-happened_at", "-id"]
        indexes = [
            models.Index(fields=["repository", "kind", "-happened_at"]),
            models.Index(fields=["team", "-happened_at"]),
        ]

    def __str__(self):
        return self.dedup_key


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class AlertDelivery(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    # Copied from the event: the send task picks a channel's due deliveries of one repository.
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The service's answer to the last attempt (status and the start of its body), or the error.
    answer = models.TextField(blank=True, default="")
    # A failed delivery a lead has seen and dismissed from the team page.
    dismissed = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "event"], name="one_delivery_per_channel_event")
        ]
        indexes = [
            models.Index(
                fields=["channel", "repository", "due_at"],
                name="alert_delivery_pending",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["status", "dismissed"], name="alert_delivery_failed", condition=Q(status="failed")
            ),
        ]

    def __str__(self):
        return f"{self.event_id} to {self.channel_id}: {self.status}"
