"""A real Celery worker on the real Redis broker runs an analysis triggered through the view."""

import time

import pytest
from django.urls import reverse

from readiness.repos.models import AnalysisRun, RunStatus
from tests.factories import MembershipFactory, RepositoryFactory
from tests.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_worker():
    with running_worker("analysis") as worker:
        yield worker


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_analyze_button_runs_on_a_real_worker(client, celery_worker, sample_repo_dir):
    member = MembershipFactory(role="engineer")
    repo = RepositoryFactory(team=member.team, url=str(sample_repo_dir))
    client.force_login(member.user)

    response = client.post(
        reverse("analysis_start", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})
    )
    assert response.status_code == 302
    run = AnalysisRun.objects.get(repository=repo)

    assert wait_for(lambda: AnalysisRun.objects.get(pk=run.pk).is_finished), (
        "the worker never finished the run"
    )
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.check_results.count() > 0
    assert run.scores.filter(category="overall").exists()
    assert run.started_at and run.finished_at and run.attempts == 1


def test_a_second_delivery_of_the_same_run_is_a_no_op(celery_worker, sample_repo_dir):
    from readiness.pipeline.analysis import analysis_execute

    repo = RepositoryFactory(url=str(sample_repo_dir))
    run = AnalysisRun.objects.create(repository=repo)
    first = analysis_execute(run_id=run.pk)
    second = analysis_execute(run_id=run.pk)
    assert first.run is not None and second.run is None and second.retry_in is None
    run.refresh_from_db()
    assert run.attempts == 1
    results = run.check_results.count()
    assert results == len({r.check_id for r in run.check_results.all()})
