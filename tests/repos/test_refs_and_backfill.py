"""Analysing a given branch, tag or commit, and backfilling the last N commits of the tracked
branch, against real git repositories served over HTTP on 127.0.0.1."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import ChecklistSnapshot
from readiness.checklists.selectors.compare import default_compare_runs, runs_for_compare
from readiness.core.models import OutboxMessage
from readiness.pipeline import analysis
from readiness.pipeline.registration import repository_register
from readiness.repos import backfill, lifecycle, selectors, services
from readiness.repos.models import AnalysisRun, RunStatus, Trigger
from readiness.teams.activity import activity_sentence
from readiness.teams.models import ActivityEvent
from tests.factories import MembershipFactory
from tests.sources.gitserver import make_history

pytestmark = pytest.mark.django_db

BARE = "FROM python:3.12\n"
BETTER = 'FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD curl -f http://localhost/health\nCMD ["app"]\n'
# Ten daily commits ending two days ago: the Dockerfile gets better in the last four.
START = int((timezone.now() - timedelta(days=11)).timestamp())


@pytest.fixture
def engineer(client):
    member = MembershipFactory(role="engineer", user__username="erin")
    client.force_login(member.user)
    return member


@pytest.fixture
def repo(git_server, engineer):
    commits = [{"Dockerfile": BARE, "notes.txt": str(n)} for n in range(6)]
    commits += [{"Dockerfile": BETTER, "notes.txt": str(n)} for n in range(6, 10)]
    history = make_history(git_server.root, "shop", commits, start=START, tags={"v1.0": 2})
    repository = repository_register(team=engineer.team, name="shop", url=git_server.url("shop"))
    repository.history = history
    return repository


def url(name, repo, **extra):
    return reverse(name, kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug, **extra})


def run_queued(repository):
    """What the workers would do: every queued run, one at a time, oldest first."""
    for run in repository.runs.filter(status=RunStatus.QUEUED).order_by("id"):
        outcome = analysis.analysis_execute(run_id=run.pk)
        assert outcome.retry_in is None


# A given branch, tag or commit -------------------------------------------------------------------


def test_the_form_analyses_a_tag_and_records_the_ref_and_the_commit(client, repo):
    response = client.post(url("analysis_start", repo), {"ref": "refs/tags/v1.0"})
    run = repo.runs.get()
    assert response.status_code == 302
    assert response["Location"] == url("run_detail", repo, run_id=run.pk)
    assert (run.ref, run.trigger) == ("v1.0", Trigger.MANUAL)
    run_queued(repo)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.commit_sha == repo.history.commits[2]
    assert run.commit_date == datetime.fromtimestamp(START + 2 * 86_400, tz=UTC)
    # A run of a given ref is history, not the repository's current score.
    assert selectors.run_latest_succeeded(repository=repo) is None
    assert not ChecklistSnapshot.objects.filter(run=run).exists()  # not part of the trend
    page = client.get(url("run_detail", repo, run_id=run.pk)).content.decode()
    assert "data-run-ref>v1.0<" in page
    assert ActivityEvent.objects.filter(verb="run.triggered").get().target == "shop at v1.0"


def test_a_commit_is_analysed_by_its_full_id(client, repo):
    sha = repo.history.commits[0]
    client.post(url("analysis_start", repo), {"ref": sha.upper()})
    run_queued(repo)
    run = repo.runs.get()
    assert (run.ref, run.commit_sha, run.status) == (sha, sha, RunStatus.SUCCEEDED)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "no branch or tag named &#x27;nope&#x27;"),
        ("abc1234", "full 40-character id"),
        ("--upload-pack=touch /tmp/pwned", "is not a valid branch, tag or commit"),
        ("a..b", "is not a valid branch, tag or commit"),
    ],
)
def test_an_unknown_or_invalid_ref_is_a_400_naming_it(client, repo, ref, message):
    response = client.post(url("analysis_start", repo), {"ref": ref})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not repo.runs.exists()


def test_a_commit_the_repository_does_not_have_fails_its_run_with_a_clear_message(client, repo):
    client.post(url("analysis_start", repo), {"ref": "d" * 40})
    run_queued(repo)
    run = repo.runs.get()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("The commit dddddddddddd is not in the repository")


def test_ref_requests_coalesce_only_with_the_same_ref(repo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        head = services.analysis_request(repository=repo)
        tag = services.analysis_request(repository=repo, ref="v1.0")
        tag_again = services.analysis_request(repository=repo, ref="v1.0")
        head_again = services.analysis_request(repository=repo)
    assert tag.pk == tag_again.pk and head.pk == head_again.pk and tag.pk != head.pk


# Backfill -----------------------------------------------------------------------------------------


def test_backfill_analyses_the_last_commits_and_gives_a_trend_and_a_before_after(
    client, repo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url("repository_backfill", repo), {"count": "8"})
    assert response.status_code == 302
    repo.refresh_from_db()
    assert repo.backfill["state"] == backfill.LISTING
    assert OutboxMessage.objects.filter(dedup_key=f"backfill:{repo.pk}", task="repos.backfill").exists()
    sentence = activity_sentence(ActivityEvent.objects.get(verb="run.backfill"))
    assert sentence == "erin asked to analyse the last 8 commits of shop."
    progress = client.get(url("repository_backfill", repo), HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and "Listing the last 8 commits" in progress.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        backfill.backfill_execute(repository_id=repo.pk)
    repo.refresh_from_db()
    assert repo.backfill["state"] == backfill.QUEUED
    assert len(repo.backfill["runs"]) == 8 and len(queued) == 8  # one outbox row each
    runs = list(AnalysisRun.objects.filter(pk__in=repo.backfill["runs"]))
    head = [r for r in runs if not r.ref]
    assert len(head) == 1  # the newest commit as a head run: the current score
    assert {r.ref for r in runs if r.ref} == set(repo.history.commits[2:9])
    assert all(r.trigger == Trigger.BACKFILL for r in runs)

    run_queued(repo)
    progress = backfill.backfill_progress(repository=repo)
    assert (progress["finished"], progress["succeeded"], progress["done"]) == (8, 8, True)
    done = client.get(url("repository_backfill", repo), HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and "8 of 8" in done.content.decode()

    # The trend: snapshots at the commits' dates, in the order of the history.
    snapshots = list(ChecklistSnapshot.objects.filter(repository=repo).order_by("taken_at"))
    assert [s.run.commit_sha for s in snapshots] == repo.history.commits[2:10]
    assert snapshots[0].taken_at == datetime.fromtimestamp(START + 2 * 86_400, tz=UTC)
    # Comparisons order runs by history; the default compares now with a week earlier.
    ordered = list(runs_for_compare(repository=repo))
    assert [r.commit_sha for r in ordered] == repo.history.commits[2:10][::-1]
    before, after = default_compare_runs(repository=repo)
    assert after.ref == "" and after.commit_sha == repo.history.commits[9]
    assert before.commit_sha == repo.history.commits[2]
    assert before.score < after.score
    # The current score is the head run's.
    assert selectors.run_latest_succeeded(repository=repo).pk == after.pk
    # The repository page's run history reads newest commit first.
    page = client.get(url("repository_detail", repo)).content.decode()
    table = page[page.index("Run history") :]
    positions = [table.index(sha[:10]) for sha in repo.history.commits[2:10][::-1]]
    assert positions == sorted(positions)


def test_backfill_does_not_analyse_a_commit_twice(repo, django_capture_on_commit_callbacks):
    services.analysis_request(repository=repo)
    run_queued(repo)  # the head, analysed already
    with django_capture_on_commit_callbacks(execute=False):
        backfill.backfill_request(repository=repo, count=3)
        backfill.backfill_request(repository=repo, count=3)  # while listing: the same request
        backfill.backfill_execute(repository_id=repo.pk)
        backfill.backfill_execute(repository_id=repo.pk)  # a second delivery: nothing new
    repo.refresh_from_db()
    assert repo.runs.count() == 3  # head + 2 older commits
    assert repo.backfill["runs"][-1] == repo.runs.get(ref="").pk
    # Asking again later reuses every commit's run.
    run_queued(repo)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        backfill.backfill_request(repository=repo, count=5)
        backfill.backfill_execute(repository_id=repo.pk)
    repo.refresh_from_db()
    assert repo.runs.count() == 5 and len(queued) == 3  # the backfill row and two new commits


@pytest.mark.parametrize("count", ["0", "51", "ten"])
def test_backfill_counts_are_bounded(client, repo, count):
    response = client.post(url("repository_backfill", repo), {"count": count}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Choose from 1 to 50 commits." in response.content.decode()
    repo.refresh_from_db()
    assert repo.backfill == {}


def test_a_backfill_of_an_unreachable_branch_says_why(repo, django_capture_on_commit_callbacks):
    repo.branch = "gone"
    repo.save(update_fields=["branch"])
    with django_capture_on_commit_callbacks(execute=False):
        backfill.backfill_request(repository=repo, count=3)
    backfill.backfill_execute(repository_id=repo.pk)
    repo.refresh_from_db()
    progress = backfill.backfill_progress(repository=repo)
    assert progress["state"] == backfill.FAILED and progress["done"]
    assert "The branch 'gone' does not exist" in progress["error"]


def test_an_archived_repository_backfills_nothing(client, repo):
    lifecycle.repository_archive(repository=repo)
    with pytest.raises(services.RepositoryArchived):
        backfill.backfill_request(repository=repo, count=3)
    response = client.post(url("repository_backfill", repo), {"count": "3"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "is archived" in response.content.decode()


def test_viewers_see_progress_but_cannot_backfill(client, repo):
    viewer = MembershipFactory(team=repo.team, role="viewer")
    client.force_login(viewer.user)
    assert client.post(url("repository_backfill", repo), {"count": "3"}).status_code == 403
    assert client.post(url("analysis_start", repo), {"ref": "v1.0"}).status_code == 403
    assert client.get(url("repository_backfill", repo)).status_code == 200


# Through the API ---------------------------------------------------------------------------------


def test_the_api_analyses_a_ref_and_backfills(client, repo, django_capture_on_commit_callbacks):
    from readiness.api.services import token_create

    _, token = token_create(name="ci", created_by=None, team=repo.team)
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/teams/{repo.team.slug}/repos/{repo.slug}"
    missing = client.post(base + "/runs", {"ref": "v9"}, content_type="application/json", headers=headers)
    assert missing.status_code == 400
    assert missing.json()["detail"] == "The repository has no branch or tag named 'v9'"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            base + "/runs", {"ref": "v1.0"}, content_type="application/json", headers=headers
        )
        assert response.status_code == 202 and response.json()["ref"] == "v1.0"
        asked = client.post(
            base + "/backfill", {"count": 2}, content_type="application/json", headers=headers
        )
    assert asked.status_code == 202
    assert asked.json()["state"] == "listing" and asked.json()["runs"] == []
    with django_capture_on_commit_callbacks(execute=False):
        backfill.backfill_execute(repository_id=repo.pk)
    run_queued(repo)
    progress = client.get(base + "/backfill", headers=headers).json()
    assert (progress["state"], progress["done"], progress["finished"]) == ("queued", True, 2)
    assert [r["commit_sha"] for r in progress["runs"]] == repo.history.commits[8:10]
    assert progress["runs"][0]["commit_date"].startswith(
        datetime.fromtimestamp(START + 8 * 86_400, tz=UTC).date().isoformat()
    )
    tag_run = client.get(response.json()["url"], headers=headers).json()
    assert (tag_run["ref"], tag_run["commit_sha"]) == ("v1.0", repo.history.commits[2])


def test_registering_can_ask_for_the_history_at_once(client, git_server, django_capture_on_commit_callbacks):
    # The form takes https or (where allowed, as in tests) a local git repository.
    cart = make_history(git_server.root, "cart", [{"Dockerfile": BARE}, {"Dockerfile": BETTER}], start=START)
    lead = MembershipFactory(role="lead")
    client.force_login(lead.user)
    team_url = reverse("team_detail", kwargs={"team_slug": lead.team.slug})
    form = {"name": "cart", "url": str(cart.path), "branch": "main", "history": "on"}
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(team_url, form)
    repository = lead.team.repositories.get(name="cart")
    assert response.status_code == 302 and response["Location"].endswith(f"/r/{repository.slug}/#backfill")
    assert repository.backfill["state"] == backfill.LISTING and repository.backfill["count"] == 10
    assert OutboxMessage.objects.filter(dedup_key=f"backfill:{repository.pk}").exists()
    with django_capture_on_commit_callbacks(execute=False):
        backfill.backfill_execute(repository_id=repository.pk)
    run_queued(repository)
    assert sorted(repository.runs.values_list("status", flat=True)) == ["succeeded", "succeeded"]
    assert repository.runs.of_head().count() == 1  # the newest commit gives the current score
    # Without the box ticked, registering analyses nothing.
    client.post(team_url, {"name": "cart-2", "url": str(cart.path), "branch": "main"})
    assert lead.team.repositories.get(name="cart-2").backfill == {}
