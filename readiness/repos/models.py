import secrets

from django.db import models
from django.db.models.functions import Lower

from readiness.teams.models import Team


def new_webhook_id() -> str:
    return secrets.token_urlsafe(18)


class RepositoryQuerySet(models.QuerySet):
    def active(self):
        """Repositories not archived: the ones dashboards, reports, lists and schedules show."""
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)


class Repository(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="repositories")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    # An https git URL, or a local folder / file:// URL where READINESS_ALLOW_LOCAL_SOURCES permits.
    url = models.CharField(max_length=2000)
    branch = models.CharField(max_length=255, default="main")
    subfolder = models.CharField(max_length=500, blank=True, default="")
    # Secrets are Fernet ciphertexts (readiness/core/crypto.py), never shown back.
    token_encrypted = models.TextField(blank=True, default="")
    # The webhook must recompute GitHub's HMAC, so its secret is encrypted rather than hashed.
    webhook_secret_encrypted = models.TextField(blank=True, default="")
    # Public, unguessable id in the webhook URL (the slug would reveal names).
    webhook_id = models.CharField(max_length=32, unique=True, default=new_webhook_id, editable=False)
    schedule = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The background reachability check (git ls-remote) after registering or changing the source.
    reachability = models.CharField(max_length=16, default="unknown")
    reachability_message = models.TextField(blank=True, default="")
    reachability_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived: hidden from the team's lists, dashboards, reports and schedules; its history is
    # kept and a lead restores it (readiness/repos/lifecycle.py).
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = RepositoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="repository_slug_unique_in_team"),
            # Names are unique within a team whatever their case ("API" and "api" are one name).
            models.UniqueConstraint("team", Lower("name"), name="repository_name_unique_in_team"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


FINISHED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED)


class Trigger(models.TextChoices):
    MANUAL = "manual", "Button"
    WEBHOOK = "webhook", "Push webhook"
    SCHEDULE = "schedule", "Schedule"
    API = "api", "API"


class AnalysisRunQuerySet(models.QuerySet):
    """The run queries pages, the API, the dashboard and the checklists share, spelled once."""

    def newest_first(self):
        """Most recently queued first: the "latest run" whatever its status."""
        return self.order_by("-queued_at", "-id")

    def succeeded(self):
        return self.filter(status=RunStatus.SUCCEEDED)

    def finished_newest_first(self):
        """Succeeded runs, the one that finished last first: the run whose results count."""
        return self.succeeded().order_by("-finished_at", "-id")

    def latest_succeeded(self, *, at=None):
        """The succeeded run that finished last (by ``at``, when given), or None."""
        runs = self.finished_newest_first()
        if at is not None:
            runs = runs.filter(finished_at__lte=at)
        return runs.first()

    def of_outer_repository(self):
        """For subqueries annotating repositories: the runs of ``OuterRef("pk")``, newest first."""
        return self.filter(repository=models.OuterRef("pk")).newest_first()


class AnalysisRun(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commit_sha = models.CharField(max_length=64, blank=True, default="")
    engine_version = models.CharField(max_length=32, blank=True, default="")
    score = models.FloatField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A message a user can read (never a traceback).
    error = models.TextField(blank=True, default="")
    # Remarks a user should read beside the scores: skipped files, .readiness.yml notes, and how the
    # configuration's health checks line up with the registered endpoints.
    notes = models.JSONField(default=list, blank=True)
    # What the engine detected about the repository (stacks, datastores, notable files,
    # dependencies: readiness/engine/facts.py), for choosing which checklist items apply.
    facts = models.JSONField(default=dict, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # While running: when the worker is presumed dead and another may take the run over (renewed
    # while the task runs, see readiness/core/outbox.py).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # A scheduled run's firing time: one run per repository and slot, however often it fires.
    schedule_slot = models.DateTimeField(null=True, blank=True)

    objects = AnalysisRunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["repository", "-queued_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["repository", "schedule_slot"], name="one_run_per_schedule_slot")
        ]

    def __str__(self):
        return f"Run {self.pk} of {self.repository} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class CheckResult(models.Model):
    """One catalog check's outcome in one run (check ids from ../shared/checks.md)."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="check_results")
    check_id = models.CharField(max_length=100)
    category = models.CharField(max_length=50)
    status = models.CharField(max_length=8)
    severity = models.CharField(max_length=8)
    title = models.CharField(max_length=200)
    # [{"file", "line", "message"}]
    evidence = models.JSONField(default=list)
    remediation = models.TextField(blank=True, default="")
    # The engine's automatic fixes for this finding: [{"summary", "note", "files", "diff"}], each
    # diff a unified diff of the analysed files (readiness/engine/fixes), shown with a copy button.
    fixes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["check_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "check_id"], name="one_result_per_check_per_run")
        ]

    def __str__(self):
        return f"{self.check_id}: {self.status}"


class ScoreSnapshot(models.Model):
    """Scores of one run: one row per category plus one with category "overall"."""

    OVERALL = "overall"

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="scores")
    category = models.CharField(max_length=50)
    title = models.CharField(max_length=100)
    score = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "category"], name="one_score_per_category_per_run")
        ]

    def __str__(self):
        return f"{self.category}: {self.score}"


class WebhookDelivery(models.Model):
    """Delivery ids already handled, so a redelivered push does not trigger twice."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="webhook_deliveries")
    delivery_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)
    run = models.ForeignKey(AnalysisRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "delivery_id"], name="one_delivery_per_repository")
        ]

    def __str__(self):
        return f"{self.delivery_id} for {self.repository}"
