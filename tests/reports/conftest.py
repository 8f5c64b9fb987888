"""A real SMTP server on 127.0.0.1 (aiosmtpd), and teams analysed before and during the reported week."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from readiness.checklists.services.applied import checklist_apply
from readiness.checklists.services.states import checklist_run_finished
from readiness.repos.models import RunStatus
from tests.factories import (
    AnalysisRunFactory,
    CheckResultFactory,
    MembershipFactory,
    RepositoryFactory,
    TeamFactory,
    TemplateItemFactory,
)

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """Keeps every message the server accepted; refuses the addresses in ``refuse`` with a code."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _start_server(settings, controllers) -> Collector:
    collector = Collector()
    collector.port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=collector.port)
    controller.start()
    controllers.append(controller)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = collector.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return collector


@pytest.fixture
def smtp_server_later(settings):
    """A function that starts aiosmtpd on a free port of 127.0.0.1 and points Django's SMTP
    backend at it (for tests where the server comes back after an outage)."""
    controllers = []
    yield lambda: _start_server(settings, controllers)
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_server_later):
    return smtp_server_later()


@pytest.fixture
def smtp_down(settings):
    """Point the SMTP backend at a port where nothing listens (connection refused)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    return settings.EMAIL_PORT


ROOT, HEALTH = "dockerfile.non_root_user", "dockerfile.healthcheck"
# Titles, files and fixes as the engine reports them (what the e-mail groups and quotes).
CHECKS = {
    "dockerfile.non_root_user": ("Container runs as a non-root user", "Add a USER line after installing."),
    "dockerfile.healthcheck": (
        "Image declares a HEALTHCHECK",
        "Add HEALTHCHECK CMD curl -f http://localhost/health",
    ),
}


def make_run(repository, statuses: dict, *, finished_at, status=RunStatus.SUCCEEDED, error="", files=None):
    run = AnalysisRunFactory(
        repository=repository, status=status, finished_at=finished_at, commit_sha="abc1234def", error=error
    )
    for check_id, check_status in statuses.items():
        title, remediation = CHECKS.get(check_id, (check_id, ""))
        evidence = [{"file": f, "line": 1, "message": "x"} for f in (files or {}).get(check_id, [])]
        CheckResultFactory(
            run=run,
            check_id=check_id,
            status=check_status,
            title=title,
            remediation=remediation,
            evidence=evidence,
        )
    checklist_run_finished(run=run)
    return run


def report_week_of(team, now=None):
    """The days this week's report of ``team`` covers (the seven days before this week)."""
    from readiness.reports.schedule import reported_week, week_start_for

    return reported_week(week_start_for(now or timezone.now(), team.timezone), team.timezone)


def backdate(team, *repositories, days=60):
    """Teams and repositories made long ago (a team's first report covers only its own days)."""
    from readiness.repos.models import Repository
    from readiness.teams.models import Team

    long_ago = timezone.now() - timedelta(days=days)
    Team.objects.filter(pk=team.pk).update(created_at=long_ago)
    Repository.objects.filter(pk__in=[r.pk for r in repositories]).update(created_at=long_ago)
    team.refresh_from_db()


SEEDED_PLAN = {  # name: (check statuses before the week, check statuses at its end)
    "api": ({ROOT: "pass", HEALTH: "pass"}, {ROOT: "fail", HEALTH: "pass"}),
    "web": ({ROOT: "pass", HEALTH: "fail"}, {ROOT: "pass", HEALTH: "pass"}),
    "worker": ({ROOT: "fail", HEALTH: "warn"}, {ROOT: "fail", HEALTH: "warn"}),
}


def make_team(name="Payments", slug="payments", plan=None, *, tz="UTC", now=None, files=None):
    """A team made long ago with a lead (lea), an engineer (eng) and a viewer (vic), the small
    template (non-root: bronze, healthcheck: silver, backup-restore: manual silver) and one
    repository per ``plan`` entry, analysed the day before the reported week and on its last day
    (Dockerfile and worker/Dockerfile as the non-root check's evidence)."""
    from readiness.teams.models import Team

    team = TeamFactory(name=name, slug=slug)
    Team.objects.filter(pk=team.pk).update(timezone=tz)
    team.refresh_from_db()
    # Payments' members are lea@example.com...; another team's are lea-<slug>@example.com...
    suffix = "" if slug == "payments" else f"-{slug}"
    lead, engineer, viewer = (
        MembershipFactory(
            team=team, role=role, user__username=f"{user}{suffix}", user__email=f"{user}{suffix}@example.com"
        )
        for role, user in (("lead", "lea"), ("engineer", "eng"), ("viewer", "vic"))
    )
    first = TemplateItemFactory(
        template__team=team,
        template__slug="small",
        template__title="Small",
        key="non-root",
        level="bronze",
        checks=[ROOT],
        title="Runs as non-root",
        fix="Create a user in the final stage and switch to it with USER.",
    )
    template = first.template
    TemplateItemFactory(
        template=template,
        key="healthcheck",
        level="silver",
        checks=[HEALTH],
        category_id="reliability",
        category_title="Reliability",
        title="Has a healthcheck",
    )
    TemplateItemFactory(
        template=template,
        key="backup-restore",
        level="silver",
        manual=True,
        reattest_days=90,
        category_id="reliability",
        category_title="Reliability",
        title="Backup restore tested",
    )
    plan = SEEDED_PLAN if plan is None else plan
    repositories = {n: RepositoryFactory(team=team, name=n, slug=n) for n in plan}
    backdate(team, *repositories.values(), days=400)
    week = report_week_of(team, now)
    before, after = week.since - timedelta(days=1), week.until - timedelta(hours=3)
    for repo_name, (old, new) in plan.items():
        repo = repositories[repo_name]
        checklist_apply(repository=repo, template=template)
        if old is not None:
            make_run(repo, old, finished_at=before)
        if new is not None:
            make_run(repo, new, finished_at=after, files=files or {ROOT: ["Dockerfile", "worker/Dockerfile"]})
    return {
        "team": team,
        "lead": lead.user,
        "engineer": engineer.user,
        "viewer": viewer.user,
        "template": template,
        "repositories": repositories,
        "week": week,
    }


@pytest.fixture
def seeded(db):
    """Team "Payments" (made long ago): api regresses (non-root fails now, in two Dockerfiles),
    web is fixed (healthcheck passes now), worker stays the same; a run of worker failed during
    the week and one succeeded after it."""
    data = make_team()
    week = data["week"]
    worker, failed_at = data["repositories"]["worker"], week.until - timedelta(hours=4)
    make_run(
        worker, {}, finished_at=failed_at, status=RunStatus.FAILED, error="git fetch timed out after 120 s"
    )
    return data
