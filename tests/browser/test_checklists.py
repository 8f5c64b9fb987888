"""Checklists in real headless Chromium: analyze, tick an item (and undo), waive an item, compare two
runs, and the team dashboard. Each step saves a screenshot to tmp_path (the README's: make screenshots)."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot
from readiness.checklists.services.states import checklist_states_refresh
from readiness.checklists.status import checklist_state
from readiness.pipeline.registration import repository_register
from readiness.repos.models import AnalysisRun, CheckResult, RunStatus
from tests.factories import MembershipFactory
from tests.workers import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEMPLATE = "production-readiness-complete"


@pytest.fixture
def celery_worker():
    with running_worker("analysis") as worker:
        yield worker


def log_in(page, live_server, member):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(member.user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/t/{member.team.slug}/")


def analyze(page, live_server, team, repository):
    page.goto(f"{live_server.url}/t/{team.slug}/r/{repository.slug}/")
    page.get_by_role("button", name="Analyze").click()
    page.locator("[data-run-status=queued], [data-run-status=running]").first.wait_for(timeout=10_000)
    page.locator("[data-run-status=succeeded]").wait_for(timeout=30_000)


def item(page, key):
    return page.locator(f"#item-{TEMPLATE}-{key}")


def open_item(page, key):
    """Open an item's row; its details load (htmx) the first time."""
    row = item(page, key)
    row.locator("summary.item-head").click()
    row.locator(".item-events").wait_for()
    return row


def seed_history(team, count=7):
    """Other repositories of the team with twelve weeks of runs, so the dashboard has a history."""
    rng = random.Random(6)
    now = timezone.now()
    for n in range(count):
        repository = repository_register(
            team=team, name=f"service-{chr(97 + n)}", url="https://git.example.com/x.git"
        )
        applied = AppliedChecklist.objects.select_related("template").get(repository=repository)
        items = list(applied.template.items.all())
        checks = sorted({c for i in items for c in i.checks})
        quality = rng.uniform(0.2, 0.7)
        for week in range(11, -1, -1):
            quality = min(0.97, quality + rng.uniform(-0.03, 0.08))
            statuses = {
                c: ("pass" if rng.random() < quality else rng.choice(["fail", "warn"])) for c in checks
            }
            run = AnalysisRun.objects.create(
                repository=repository, status=RunStatus.SUCCEEDED, commit_sha=f"{rng.getrandbits(40):010x}"
            )
            AnalysisRun.objects.filter(pk=run.pk).update(finished_at=now - timedelta(weeks=week, hours=n))
            run.refresh_from_db()
            CheckResult.objects.bulk_create(
                CheckResult(run=run, check_id=c, category="security", status=s, severity="high", title=c)
                for c, s in statuses.items()
            )
            state = checklist_state(
                items, check_statuses=statuses, attestations={}, waivers={}, now=run.finished_at
            )
            ChecklistSnapshot.objects.create(
                run=run,
                repository=repository,
                template=applied.template,
                template_slug=applied.template.slug,
                data=state,
                overall=state["overall"],
                level=state["level"],
                taken_at=run.finished_at,
            )
        checklist_states_refresh(repository=repository)


def test_tick_waive_compare_and_dashboard(page, live_server, celery_worker, sample_repo_dir, tmp_path):
    member = MembershipFactory(role="lead", team__name="Payments team", team__slug="payments")
    team = member.team
    log_in(page, live_server, member)
    # Register the repository through the team page; it starts with the complete checklist.
    page.get_by_label("Name").fill("sample-service")
    page.get_by_label("Repository URL").fill(str(sample_repo_dir))
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(f"{live_server.url}/t/{team.slug}/r/sample-service/**")
    repository = team.repositories.get(slug="sample-service")
    assert repository.checklists.get(primary=True).template.slug == TEMPLATE
    analyze(page, live_server, team, repository)

    # Tick a manual item inline, see the score line update, undo, tick again.
    page.get_by_role("link", name="Checklists, waivers and notes").click()
    row = open_item(page, "graceful-shutdown")
    row.get_by_role("button", name="Tick as done").click()
    row.locator("[data-item-status=done]").wait_for()
    row.get_by_role("button", name="Undo").click()
    row.locator("[data-item-status=todo]").wait_for()
    row.get_by_role("button", name="Tick as done").click()
    row.locator("[data-item-status=done]").wait_for()
    assert f"Ticked by {member.user.username}" in row.inner_text()

    # Waive a failing automated item: it is shown as waived and left out of the score.
    row = open_item(page, "non-root-user")
    assert row.locator("[data-item-status=fail]").count() == 1
    row.get_by_text("Waive", exact=True).click()
    row.get_by_label("Reason").fill("Base image switches to the unprivileged variant next sprint")
    row.get_by_label("Expires on").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    row.get_by_role("button", name="Grant waiver").click()
    row.locator("[data-item-status=waived]").wait_for()
    assert "next sprint" in row.inner_text()
    assert AppliedChecklist.objects.get(repository=repository).state["items"]["non-root-user"] == "waived"
    page.locator("#checklist-scores").get_by_text("1 waived item left out").wait_for()
    page.set_viewport_size({"width": 1200, "height": 1500})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "checklist.png"))
    page.set_viewport_size({"width": 1200, "height": 900})

    # Fix two things in the repository, analyze again, compare the two runs.
    dockerfile = sample_repo_dir / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text()
        + "RUN useradd --create-home app\nUSER app\n"
        + 'HEALTHCHECK CMD ["python", "-c", "print(1)"]\n'
    )
    (sample_repo_dir / ".dockerignore").write_text(".git\n.env\n__pycache__\n.venv\n")
    analyze(page, live_server, team, repository)
    page.get_by_role("link", name="Compare runs").click()
    table = page.locator("table.compare")
    table.wait_for()
    assert "Readiness score" in table.inner_text()
    changes = page.locator("table.changes").inner_text()
    assert "fail → pass" in changes
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)

    # The dashboard, with some history in other repositories of the team.
    seed_history(team)
    page.goto(f"{live_server.url}/t/{team.slug}/dashboard/")
    page.locator("table.dashboard").wait_for()
    assert page.locator("table.dashboard tbody tr").count() == 8
    assert page.locator("svg.spark").count() >= 7
    rows = page.locator("table.dashboard tbody tr")
    page.get_by_label("Search").fill("sample")  # htmx swaps the table as one types
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("sample-service")
    page.get_by_label("Search").fill("")
    expect(rows).to_have_count(8)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert page.console_errors == []
