"""Weekly report benchmark: build and send the reports of 500 teams of 10 repositories each.

    .venv/bin/python bench/report_bench.py [--teams 500] [--repos 10] [--items 20]

Seeds (once; kept between runs) a PostgreSQL database named ``readiness_report_bench`` on the test
server (BENCH_REPORT_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/readiness_report_bench):
``--teams`` teams, each with a lead, an engineer and a viewer (two recipients by default) and
``--repos`` repositories; every repository has a checklist of ``--items`` items in five categories
as its primary one and two analyses with their check results, the day before the reported week and
on its last day, that differ in a few items; a failed run for every third team and a waiver ending
within 14 days for every fifth repository. Teams and repositories are made long ago (a team's first
report covers only its own days). The seed is remade when the reported week has moved on.

Then it starts an SMTP server (aiosmtpd) on 127.0.0.1, deletes the bench teams' report rows, and
for each team runs what the worker runs, ``report_deliver``: claim the (team, week) row, build the
figures, render the three templates, send one message per recipient over one SMTP connection,
mark the row sent. It prints the wall time, the reports per second, the messages the server
received and the queries per report (min / median / max). It asserts nothing beyond every report
ending "sent"; docs/reports.md records a run. Target: under 60 s for 500 teams.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from postgres import ensure_database  # noqa: E402  (bench/postgres.py)

DATABASE_URL = os.environ.get(
    "BENCH_REPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readiness_report_bench"
)
os.environ["TEST_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

CATEGORIES = ["security", "reliability", "performance", "build", "operations"]
LEVELS = ["bronze", "silver", "gold"]
STATUSES = ["pass", "pass", "pass", "fail", "warn", "na"]
PREFIX = "rb-"


def seed(teams: int, repos: int, items: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from readiness.checklists.models import (
        AppliedChecklist,
        ChecklistSnapshot,
        ChecklistTemplate,
        TemplateItem,
        Waiver,
    )
    from readiness.checklists.status import checklist_state
    from readiness.reports.schedule import reported_week, week_start_for
    from readiness.repos.models import AnalysisRun, CheckResult, Repository, RunStatus
    from readiness.teams.models import Membership, Role, Team

    now = timezone.now()
    week = reported_week(week_start_for(now, "UTC"), "UTC")
    existing = Team.objects.filter(slug__startswith=PREFIX)
    if (
        existing.count() == teams
        and Repository.objects.filter(team__in=existing).count() == teams * repos
        and AnalysisRun.objects.filter(repository__team__in=existing, finished_at__gte=week.since).exists()
    ):
        return
    print(f"seeding {teams} teams x {repos} repositories x {items} items ...", flush=True)
    started = time.perf_counter()
    User = get_user_model()
    with transaction.atomic():
        existing.delete()
        User.objects.filter(username__startswith=PREFIX).delete()
        ChecklistTemplate.objects.filter(slug="report-bench").delete()
        template = ChecklistTemplate.objects.create(
            slug="report-bench", title="Report bench", is_builtin=False
        )
        item_rows = TemplateItem.objects.bulk_create(
            TemplateItem(
                template=template,
                category_id=CATEGORIES[i % 5],
                category_title=CATEGORIES[i % 5].title(),
                position=i,
                key=f"item-{i}",
                title=f"Item {i}",
                level=LEVELS[i % 3],
                checks=[f"bench.check_{i}"],
            )
            for i in range(items)
        )
        team_rows = Team.objects.bulk_create(
            Team(name=f"Team {n:04d}", slug=f"{PREFIX}{n:04d}") for n in range(teams)
        )
        users = User.objects.bulk_create(
            User(username=f"{PREFIX}{n:04d}-{role}", email=f"{role}-{n:04d}@bench.example")
            for n in range(teams)
            for role in ("lead", "engineer", "viewer")
        )
        Membership.objects.bulk_create(
            Membership(team=team_rows[i // 3], user=user, role=(Role.LEAD, Role.ENGINEER, Role.VIEWER)[i % 3])
            for i, user in enumerate(users)
        )
        repositories = Repository.objects.bulk_create(
            Repository(team=team, name=f"service-{r:02d}", slug=f"service-{r:02d}", url="/bench")
            for team in team_rows
            for r in range(repos)
        )
        long_ago = now - timedelta(days=400)
        Team.objects.filter(pk__in=[t.pk for t in team_rows]).update(created_at=long_ago)
        Repository.objects.filter(pk__in=[r.pk for r in repositories]).update(created_at=long_ago)
        ends = (week.since - timedelta(days=1), week.until - timedelta(hours=1))
        runs = AnalysisRun.objects.bulk_create(
            AnalysisRun(repository=repo, status=RunStatus.SUCCEEDED, finished_at=end)
            for repo in repositories
            for end in ends
        )
        AnalysisRun.objects.bulk_create(
            AnalysisRun(
                repository=team_rows[t].repositories.first(),
                status=RunStatus.FAILED,
                finished_at=week.until - timedelta(days=1),
                error="git fetch timed out after 120 s",
            )
            for t in range(0, teams, 3)
        )
        snapshots, applied, results = [], [], []
        for n, repo in enumerate(repositories):
            for w, run in enumerate(runs[2 * n : 2 * n + 2]):
                statuses = {
                    f"bench.check_{i}": STATUSES[(n + i + 3 * w * (i % 4 == 0)) % 6] for i in range(items)
                }
                results += [
                    CheckResult(
                        run=run,
                        check_id=check_id,
                        category="security",
                        status=status,
                        severity="high",
                        title=f"Check {check_id}",
                        evidence=[{"file": "Dockerfile", "line": 1, "message": "x"}] * (status == "fail"),
                        remediation="Do the one thing.",
                    )
                    for check_id, status in statuses.items()
                ]
                state = checklist_state(
                    item_rows, check_statuses=statuses, attestations={}, waivers={}, now=now
                )
                snapshots.append(
                    ChecklistSnapshot(
                        run=run,
                        repository=repo,
                        template=template,
                        template_slug=template.slug,
                        data=state,
                        overall=state["overall"],
                        level=state["level"],
                        taken_at=run.finished_at,
                    )
                )
            applied.append(
                AppliedChecklist(
                    repository=repo,
                    template=template,
                    primary=True,
                    state=state,
                    overall=state["overall"],
                    level=state["level"],
                    state_updated_at=now,
                )
            )
        ChecklistSnapshot.objects.bulk_create(snapshots, batch_size=2000)
        CheckResult.objects.bulk_create(results, batch_size=5000)
        AppliedChecklist.objects.bulk_create(applied, batch_size=2000)
        Waiver.objects.bulk_create(
            Waiver(
                repository=repo,
                template_slug=template.slug,
                item_key="item-1",
                reason="bench",
                expires_on=(now + timedelta(days=7)).date(),
                created_at=now,
            )
            for repo in repositories[::5]
        )
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)


# The SMTP server runs in its own process, as a real one would: it counts the messages it accepts
# and prints the count when its stdin closes.
SMTP_SERVER = """
import sys, threading
from aiosmtpd.controller import Controller

class Counter:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Counter.count += 1
        return "250 OK"

# server_hostname: otherwise aiosmtpd looks up this machine's name on every connection.
port = int(sys.argv[1])
controller = Controller(Counter(), hostname="127.0.0.1", port=port, server_hostname="bench.invalid")
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
print(Counter.count, flush=True)
"""


def deliver(jobs: list) -> list[int]:
    """Send the reports of ``jobs`` ((team id, week start) pairs); the query count of each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from readiness.reports import services

    queries = []
    for team_id, week_start in jobs:
        connection.queries_log.clear()  # the log keeps 9,000 queries; a full one miscounts
        with CaptureQueriesContext(connection) as captured:
            services.report_deliver(team_id=team_id, week_start=week_start)
        queries.append(len(captured))
    connection.close()
    return queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="processes sending at once (1: in this one)")
    args = parser.parse_args()

    ensure_database(DATABASE_URL)
    import logging

    import django

    django.setup()
    logging.getLogger("readiness.reports").setLevel(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from readiness.reports import selectors
    from readiness.reports.models import ReportStatus, WeeklyReport
    from readiness.teams.models import Team

    call_command("migrate", verbosity=0)
    seed(args.teams, args.repos, args.items)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", SMTP_SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout.readline().strip() == "ready"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    teams = list(Team.objects.filter(slug__startswith=PREFIX).order_by("slug"))
    WeeklyReport.objects.filter(team__in=teams).delete()
    now = timezone.now()
    jobs = [(team.pk, selectors.current_week(team=team, now=now)) for team in teams]
    connection.close()  # each worker process opens its own
    started = time.perf_counter()
    try:
        if args.workers == 1:
            queries = deliver(jobs)
        else:
            # Like Celery's prefork pool on the "email" queue: processes sharing the teams.
            with multiprocessing.get_context("fork").Pool(args.workers) as pool:
                shares = pool.map(deliver, [jobs[i :: args.workers] for i in range(args.workers)])
            queries = [q for share in shares for q in share]
        elapsed = time.perf_counter() - started
    finally:
        received, _ = server.communicate("", timeout=30)
    sent = WeeklyReport.objects.filter(team__in=teams, status=ReportStatus.SENT).count()
    assert sent == len(teams), f"{sent} of {len(teams)} reports sent"
    print(
        f"weekly reports of {len(teams)} teams x {args.repos} repositories ({args.items} checklist items), "
        f"{args.workers} process{'es' if args.workers > 1 else ''}, PostgreSQL, aiosmtpd on 127.0.0.1"
    )
    print(f"  total          {elapsed:6.1f} s  (target < 60 s)")
    print(f"  per report     {elapsed / len(teams) * 1000:6.1f} ms  ({len(teams) / elapsed:.1f} reports/s)")
    print(f"  messages       {received.strip()} received by the SMTP server")
    print(
        f"  queries        {statistics.median(queries):.0f} per report (median; min {min(queries)}, "
        f"max {max(queries)}), constant in the number of repositories"
    )


if __name__ == "__main__":
    main()
