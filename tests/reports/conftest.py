"""A real SMTP server on 127.0.0.1 (aiosmtpd) and a seeded team with two weeks of checklist data."""

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


def make_run(repository, statuses: dict, *, finished_at, status=RunStatus.SUCCEEDED, error=""):
    run = AnalysisRunFactory(
        repository=repository, status=status, finished_at=finished_at, commit_sha="abc1234def", error=error
    )
    for check_id, check_status in statuses.items():
        CheckResultFactory(run=run, check_id=check_id, status=check_status)
    checklist_run_finished(run=run)
    return run


@pytest.fixture
def seeded(db):
    """Team "Payments": a lead, an engineer, a viewer; three repositories with a run 8 days ago
    and one today. api regresses (non-root fails now), web is fixed (healthcheck passes now),
    worker stays the same; a run of worker failed this week."""
    team = TeamFactory(name="Payments", slug="payments")
    lead, engineer, viewer = (
        MembershipFactory(team=team, role=role, user__username=name, user__email=f"{name}@example.com")
        for role, name in (("lead", "lea"), ("engineer", "eng"), ("viewer", "vic"))
    )
    first = TemplateItemFactory(
        template__team=team,
        template__slug="small",
        template__title="Small",
        key="non-root",
        level="bronze",
        checks=["dockerfile.non_root_user"],
        title="Runs as non-root",
    )
    template = first.template
    TemplateItemFactory(
        template=template,
        key="healthcheck",
        level="silver",
        checks=["dockerfile.healthcheck"],
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
    now = timezone.now()
    before, after = now - timedelta(days=8), now - timedelta(hours=1)
    root, health = "dockerfile.non_root_user", "dockerfile.healthcheck"
    plan = {  # name: (check statuses 8 days ago, check statuses today)
        "api": ({root: "pass", health: "pass"}, {root: "fail", health: "pass"}),
        "web": ({root: "pass", health: "fail"}, {root: "pass", health: "pass"}),
        "worker": ({root: "fail", health: "warn"}, {root: "fail", health: "warn"}),
    }
    repositories = {}
    for name, (old, new) in plan.items():
        repo = RepositoryFactory(team=team, name=name, slug=name)
        checklist_apply(repository=repo, template=template)
        make_run(repo, old, finished_at=before)
        make_run(repo, new, finished_at=after)
        repositories[name] = repo
    make_run(
        repositories["worker"], {}, finished_at=now - timedelta(hours=2), status=RunStatus.FAILED,
        error="git fetch timed out after 120 s",
    )  # fmt: skip
    return {
        "team": team,
        "lead": lead.user,
        "engineer": engineer.user,
        "viewer": viewer.user,
        "template": template,
        "repositories": repositories,
    }
