"""In a real browser (Debian's Chromium), with a real Celery worker and a git server on 127.0.0.1:
an engineer analyses the last commits of a newly registered repository, watches the progress,
then compares before and after; an unknown tag is refused naming it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from readiness.core.models import AllowedNetwork
from readiness.pipeline.registration import repository_register
from readiness.repos.models import AnalysisRun, RunStatus, Trigger
from tests.factories import MembershipFactory
from tests.sources.gitserver import GitHTTPServer, make_history
from tests.workers import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BARE = "FROM python:3.12\n"
BETTER = 'FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD curl -f http://localhost/health\nCMD ["app"]\n'


@pytest.fixture
def git_server(tmp_path, settings):
    server = GitHTTPServer(root=tmp_path / "served").start()
    (tmp_path / "served").mkdir()
    settings.READINESS_GIT_HTTP_HOSTS = [server.host_port]
    AllowedNetwork.objects.create(target="127.0.0.1", port=server.port, reason="tests")
    yield server
    server.stop()


def test_an_engineer_backfills_history_and_compares_before_and_after(page, live_server, git_server):
    start = int((timezone.now() - timedelta(days=9)).timestamp())
    commits = [{"Dockerfile": BARE}, {"Dockerfile": BARE, "a.txt": "1"}, {"Dockerfile": BETTER}]
    history = make_history(git_server.root, "shop", commits, start=start, step=3 * 86_400, tags={"v1": 0})
    engineer = MembershipFactory(role="engineer", team__slug="shop-team", team__name="Shop team")
    repository = repository_register(team=engineer.team, name="shop", url=git_server.url("shop"))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(engineer.user.username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto(f"{live_server.url}/t/shop-team/r/shop/")

    # A tag the repository does not have: refused at once, naming it.
    page.get_by_label("Analyse a branch, tag or commit").fill("v9")
    page.get_by_role("button", name="Analyse this ref").click()
    page.get_by_text("The repository has no branch or tag named 'v9'").wait_for()
    assert not AnalysisRun.objects.filter(repository=repository).exists()
    page.goto(f"{live_server.url}/t/shop-team/r/shop/")

    with running_worker("analysis"):
        page.get_by_label("Analyse the last commits of").fill("3")
        page.get_by_role("button", name="Analyse history").click()
        # htmx swaps in the progress, then polls it until every commit is analysed.
        page.locator("[data-backfill-state]").first.wait_for(timeout=10_000)
        page.locator("[data-backfill-state=done]").wait_for(timeout=120_000)
    assert page.locator("[data-backfill-finished]").inner_text() == "3 of 3"
    runs = AnalysisRun.objects.filter(repository=repository)
    assert runs.filter(status=RunStatus.SUCCEEDED).count() == 3
    assert runs.filter(trigger=Trigger.BACKFILL).count() == 3
    assert set(runs.values_list("commit_sha", flat=True)) == set(history.commits)
    assert page.locator("#backfill-progress[hx-trigger]").count() == 0  # polling stopped

    page.get_by_role("link", name="Compare before and after").click()
    page.get_by_role("heading", name="Before and after: shop").wait_for()
    # The oldest commit before, the head after: the picker shows them by commit.
    before = page.locator("#before option:checked").inner_text()
    after = page.locator("#after option:checked").inner_text()
    assert history.commits[0][:7] in before and history.commits[-1][:7] in after
    # Any two commits, by their ids: the URL keeps them.
    page.get_by_text("Compare two commits instead").click()
    page.get_by_label("Before (commit)").fill(history.commits[1][:8])
    page.get_by_label("After (commit)").fill(history.commits[0][:8])
    page.get_by_role("button", name="Compare commits").click()
    page.wait_for_url(f"**after_commit={history.commits[0][:8]}**")
    first, second = (runs.get(commit_sha=history.commits[n]).pk for n in (1, 0))
    page.get_by_role("heading", name=f"run #{first} → run #{second}").wait_for()
    assert page.console_errors == [] or all("400" in e for e in page.console_errors)
