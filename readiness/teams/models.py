from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

# The default longest waiver (and .readiness.yml skip) a team accepts, in days.
WAIVER_MAX_DAYS_DEFAULT = 90
WAIVER_MAX_DAYS_LIMIT = 3650


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/Paris.") from None


def default_timezone() -> str:
    return settings.TIME_ZONE


class Team(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    # Where the team's weeks start and end (the weekly report's boundaries and schedule).
    timezone = models.CharField(max_length=64, default=default_timezone, validators=[validate_timezone])
    created_at = models.DateTimeField(auto_now_add=True)
    # Waiver policy: the longest a waiver (or a .readiness.yml skip) may run, from the day it is made.
    waiver_max_days = models.PositiveIntegerField(
        default=WAIVER_MAX_DAYS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(WAIVER_MAX_DAYS_LIMIT)],
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    LEAD = "lead", "Lead"
    ENGINEER = "engineer", "Engineer"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ENGINEER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team_user")]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.role})"

    # What pages show or hide for this member (the access decorator enforces the same roles).
    @property
    def can_edit(self) -> bool:
        """Engineers and leads: tick items, write notes, start analyses, change endpoints."""
        return self.role in (Role.ENGINEER, Role.LEAD)

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD


class Invitation(models.Model):
    """An e-mailed, signed, expiring, single-use invitation to join a team with a role."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ENGINEER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and team: a second one is a resend, not a duplicate.
            models.UniqueConstraint(
                Lower("email"),
                "team",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_pending_invitation_per_team_email",
            )
        ]

    def __str__(self):
        return f"{self.email} to {self.team} as {self.role}"


class ActivityEvent(models.Model):
    """The audit log: who did what, when, from which address, to what, and old -> new values.

    Written only through readiness.teams.activity.activity_record. ``team`` is None for
    instance-wide events (single sign-on logins, personal API tokens)."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The actor's username when it happened: still readable after the account is deleted.
    actor_name = models.CharField(max_length=150, blank=True, default="")
    verb = models.CharField(max_length=40)  # e.g. "run.triggered", "item.ticked", "member.removed"
    target = models.CharField(max_length=300, blank=True)  # a readable label of what was acted on
    # The object acted on ("api.apitoken", "12"): kept after the object itself is deleted.
    object_type = models.CharField(max_length=60, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    # {field: [old, new]} for changes.
    changes = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self):
        return f"{self.actor} {self.verb} {self.target}"
