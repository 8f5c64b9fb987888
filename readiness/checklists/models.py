"""Checklist templates stored from YAML, applied to repositories, and what engineers and leads record.

Attestations, waivers and notes are keyed by (repository, template slug, item key), not by a
TemplateItem row, so they survive a template's version bump (a new version is a new row set).
Attestations are append-only: the current state of a manual item is its latest attestation.
"""

import secrets

from django.conf import settings
from django.db import models

from readiness.repos.models import AnalysisRun, Repository
from readiness.teams.models import Team


class Level(models.TextChoices):
    BRONZE = "bronze", "Bronze"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"


class ChecklistTemplate(models.Model):
    # Null for the built-in templates every team sees; a team's own imported templates otherwise.
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True, default="")
    sources = models.JSONField(default=list, blank=True)
    is_builtin = models.BooleanField(default=False)
    # The newest version of a slug is current; older versions stay for history.
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug", "version"], condition=models.Q(team__isnull=True), name="builtin_slug_version"
            ),
            models.UniqueConstraint(fields=["team", "slug", "version"], name="team_template_slug_version"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"


class TemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    category_id = models.CharField(max_length=80)
    category_title = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.BRONZE)
    checks = models.JSONField(default=list, blank=True)
    combine = models.CharField(max_length=8, default="all")
    manual = models.BooleanField(default=False)
    reattest_days = models.PositiveIntegerField(null=True, blank=True)
    evidence_required = models.BooleanField(default=False)
    fix = models.TextField(blank=True, default="")
    sources = models.JSONField(default=list, blank=True)
    # When the item applies (readiness/checklists/applicability.py); null: to every repository.
    applies_when = models.JSONField(null=True, blank=True, default=None)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["template", "key"], name="one_item_key_per_template")]

    def __str__(self):
        return self.title


class AppliedChecklist(models.Model):
    """A template applied to a repository, with its live state (what the dashboard reads)."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="checklists")
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="applications")
    # The checklist whose score and level the dashboard and the badge show.
    primary = models.BooleanField(default=False)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    applied_at = models.DateTimeField(auto_now_add=True)
    # Live state: {"overall", "level", "categories": {id: {"title", "score"}}, "items": {key: status}}.
    state = models.JSONField(default=dict, blank=True)
    overall = models.FloatField(null=True, blank=True)
    level = models.CharField(max_length=8, blank=True, default="")
    # When an attestation or a waiver of this state expires; the state is recomputed after it.
    state_valid_until = models.DateTimeField(null=True, blank=True)
    state_updated_at = models.DateTimeField(null=True, blank=True)
    # The unguessable part of the README badge URL.
    badge_token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)

    class Meta:
        ordering = ["-primary", "applied_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "template"], name="template_applied_once"),
            models.UniqueConstraint(
                fields=["repository"], condition=models.Q(primary=True), name="one_primary_checklist"
            ),
        ]
        indexes = [models.Index(fields=["state_valid_until"])]

    def __str__(self):
        return f"{self.template} on {self.repository}"


class ItemRef(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    template_slug = models.SlugField(max_length=80)
    item_key = models.SlugField(max_length=80)

    class Meta:
        abstract = True


class Attestation(ItemRef):
    """An engineer ticking (or unticking) a manual item. Never updated: undo appends the previous state."""

    checked = models.BooleanField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # When the row was written; the current state of an item is its newest row (highest id).
    recorded_at = models.DateTimeField()
    # The attestation time that counts for re-attestation (an undo restores the previous one's).
    at = models.DateTimeField()
    evidence_url = models.URLField(max_length=1000, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    is_undo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["repository", "template_slug", "item_key", "-id"])]

    def __str__(self):
        return f"{self.item_key}: {'ticked' if self.checked else 'unticked'}"


class Waiver(ItemRef):
    reason = models.TextField()
    expires_on = models.DateField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["repository", "template_slug", "item_key"])]

    def __str__(self):
        return f"{self.item_key} waived until {self.expires_on}"


class ItemNote(ItemRef):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["repository", "template_slug", "item_key"])]

    def __str__(self):
        return f"note on {self.item_key}"


class ChecklistSnapshot(models.Model):
    """A checklist's scores and item statuses when a run finished: what comparisons and trends read."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="checklist_snapshots")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="+")
    template_slug = models.SlugField(max_length=80)
    data = models.JSONField(default=dict)
    overall = models.FloatField(null=True, blank=True)
    level = models.CharField(max_length=8, blank=True, default="")
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "template"], name="one_snapshot_per_run_template")
        ]
        indexes = [models.Index(fields=["repository", "template_slug", "-taken_at"])]

    def __str__(self):
        return f"{self.template_slug} at run {self.run_id}"
