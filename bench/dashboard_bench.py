"""Dashboard benchmark: server time and query count of the team dashboard with 2,000 repositories.

    .venv/bin/python bench/dashboard_bench.py [--repos 2000] [--items 60] [--weeks 12] [--requests 30]

Seeds (once; kept between runs) a PostgreSQL database named ``readiness_bench`` on the test server
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/readiness_bench): one team of
``--repos`` repositories, a checklist template of ``--items`` items in five categories applied to
each, ``--weeks`` weekly runs per repository with their checklist snapshots, and the latest run's
check results. Then it times GET /t/bench/dashboard/ through Django's test client (the whole
request: middleware, queries, template), for the default view, a sort by score, a search and the
last page, and prints the median and the 95th percentile in ms with the query count. It asserts
nothing; docs/benchmarks.md records a run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from postgres import ensure_database  # noqa: E402  (bench/postgres.py)

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readiness_bench")
os.environ["TEST_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

CATEGORIES = ["security", "reliability", "performance", "build", "operations"]
LEVELS = ["bronze", "silver", "gold"]
STATUSES = ["pass", "pass", "pass", "fail", "warn", "na"]


def seed(repos: int, items: int, weeks: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from readiness.checklists.models import (
        AppliedChecklist,
        ChecklistSnapshot,
        ChecklistTemplate,
        TemplateItem,
    )
    from readiness.checklists.status import checklist_state
    from readiness.repos.models import AnalysisRun, CheckResult, Repository, RunStatus
    from readiness.teams.models import Membership, Role, Team

    team = Team.objects.filter(slug="bench").first()
    if team is not None and Repository.objects.filter(team=team).count() == repos:
        return
    print(f"seeding {repos} repositories x {items} items x {weeks} weekly runs ...", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        # Repositories first (they hold the applied checklists), then the template, then the team:
        # a template is protected while anything still points at it.
        if team is not None:
            Repository.objects.filter(team=team).delete()
        ChecklistTemplate.objects.filter(slug="bench").delete()
        if team is not None:
            team.delete()
        team = Team.objects.create(name="Bench", slug="bench")
        user, _ = get_user_model().objects.get_or_create(username="bench")
        Membership.objects.create(team=team, user=user, role=Role.LEAD)
        template = ChecklistTemplate.objects.create(team=team, slug="bench", title="Bench")
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
        repositories = Repository.objects.bulk_create(
            Repository(team=team, name=f"service-{n:05d}", slug=f"service-{n:05d}", url="/bench")
            for n in range(repos)
        )
        now = timezone.now()
        applied = []
        for n, repository in enumerate(repositories):
            runs = AnalysisRun.objects.bulk_create(
                AnalysisRun(
                    repository=repository,
                    status=RunStatus.SUCCEEDED,
                    finished_at=now - timedelta(weeks=w, hours=n % 24),
                    commit_sha=f"{n:08x}{w:02x}",
                )
                for w in range(weeks)
            )
            snapshots = []
            state = None
            for w, run in enumerate(runs):
                statuses = {f"bench.check_{i}": STATUSES[(n + i + w) % len(STATUSES)] for i in range(items)}
                state = checklist_state(
                    item_rows, check_statuses=statuses, attestations={}, waivers={}, now=now
                )
                snapshots.append(
                    ChecklistSnapshot(
                        run=run,
                        repository=repository,
                        template=template,
                        template_slug="bench",
                        data=state,
                        overall=state["overall"],
                        level=state["level"],
                        taken_at=run.finished_at,
                    )
                )
                if w == 0:
                    latest_state = state
                    CheckResult.objects.bulk_create(
                        CheckResult(
                            run=run,
                            check_id=c,
                            category="security",
                            status=s,
                            severity="high",
                            title=c,
                            evidence=[],
                        )
                        for c, s in statuses.items()
                    )
            ChecklistSnapshot.objects.bulk_create(snapshots)
            applied.append(
                AppliedChecklist(
                    repository=repository,
                    template=template,
                    primary=True,
                    state=latest_state,
                    overall=latest_state["overall"],
                    level=latest_state["level"],
                    state_updated_at=now,
                )
            )
        AppliedChecklist.objects.bulk_create(applied)
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)


def measure(client, url: str, requests: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches (templates, connection)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    ensure_database(DATABASE_URL)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    call_command("migrate", verbosity=0)
    seed(args.repos, args.items, args.weeks)
    setup_test_environment()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    base = "/t/bench/dashboard/"
    pages = -(-args.repos // 25)
    print(
        f"dashboard of {args.repos} repositories x {args.items} items"
        f" ({args.weeks} weekly snapshots each), PostgreSQL"
    )
    for label, url in [
        ("default (by name, page 1)", base),
        ("sorted by score", base + "?sort=-score"),
        ("search", base + "?q=service-01"),
        ("last page", base + f"?page={pages}"),
    ]:
        median, p95, queries = measure(client, url, args.requests)
        print(f"  {label:28s} median {median:6.1f} ms   p95 {p95:6.1f} ms   {queries} queries")


if __name__ == "__main__":
    main()
