"""The run lifecycle: claim, coalescing, one analysis per repository, retries, the sweeper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from readiness.core.models import OutboxMessage
from readiness.pipeline import analysis
from readiness.pipeline.registration import repository_register
from readiness.repos import services
from readiness.repos.models import AnalysisRun, RunStatus, Trigger
from tests.factories import RepositoryFactory
from tests.sources.gitserver import make_repo

pytestmark = pytest.mark.django_db

DOCKERFILE = 'FROM python:3.12-slim\nUSER app\nCMD ["gunicorn", "app:app"]\n'


def test_requests_coalesce_into_one_follow_up(django_capture_on_commit_callbacks):
    repo = RepositoryFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.analysis_request(repository=repo)
        AnalysisRun.objects.filter(pk=first.pk).update(status=RunStatus.RUNNING)
        follow_up = services.analysis_request(repository=repo, trigger=Trigger.WEBHOOK)
        again = services.analysis_request(repository=repo)
    assert follow_up.pk != first.pk and again.pk == follow_up.pk
    assert repo.runs.count() == 2
    assert len(callbacks) == 2


def test_a_queued_run_waits_while_another_of_the_repository_runs(sample_repo_dir):
    repo = RepositoryFactory(url=str(sample_repo_dir))
    AnalysisRun.objects.create(repository=repo, status=RunStatus.RUNNING, lease_expires_at=timezone.now())
    waiting = AnalysisRun.objects.create(repository=repo)
    outcome = analysis.analysis_execute(run_id=waiting.pk)
    assert outcome.run is None and outcome.retry_in == analysis.BUSY_RETRY_S
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.QUEUED and waiting.attempts == 0


def test_sweeper_requeues_a_run_whose_worker_died_then_fails_it_after_the_last_attempt(
    settings, django_capture_on_commit_callbacks
):
    settings.ANALYSIS_MAX_ATTEMPTS = 2
    repo = RepositoryFactory()
    past = timezone.now() - timedelta(seconds=1)
    run = AnalysisRun.objects.create(
        repository=repo, status=RunStatus.RUNNING, attempts=1, lease_expires_at=past
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.runs_sweep_stuck() == {"requeued": 1, "failed": 0}
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED

    AnalysisRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, attempts=2, lease_expires_at=past)
    assert services.runs_sweep_stuck() == {"requeued": 0, "failed": 1}
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "2 times" in run.error


def test_sweeper_leaves_runs_within_their_lease_alone():
    repo = RepositoryFactory()
    future = timezone.now() + timedelta(minutes=5)
    AnalysisRun.objects.create(repository=repo, status=RunStatus.RUNNING, attempts=1, lease_expires_at=future)
    assert services.runs_sweep_stuck() == {"requeued": 0, "failed": 0}


def test_a_remote_repository_is_fetched_over_http_and_analysed(git_server):
    served = make_repo(git_server.root, "shop", {"Dockerfile": DOCKERFILE, "src/app.py": "print(1)\n"})
    repo = RepositoryFactory(url=git_server.url("shop"), branch="main")
    run = AnalysisRun.objects.create(repository=repo)
    outcome = analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert outcome.run is not None
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.commit_sha == served.commit
    assert run.check_results.get(check_id="dockerfile.non_root_user").status == "pass"


def test_a_token_protected_repository_needs_its_token(git_server):
    make_repo(git_server.root, "private", {"Dockerfile": DOCKERFILE})
    git_server.tokens["private"] = "s3cret-token-value"
    repo = RepositoryFactory(url=git_server.url("private"))
    run = AnalysisRun.objects.create(repository=repo)
    analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "authentication failed" in run.error.lower()

    services.repository_set_token(repository=repo, token="s3cret-token-value")
    assert "s3cret" not in repo.token_encrypted  # encrypted at rest
    retry = AnalysisRun.objects.create(repository=repo)
    analysis.analysis_execute(run_id=retry.pk)
    retry.refresh_from_db()
    assert retry.status == RunStatus.SUCCEEDED, retry.error


def test_a_missing_branch_fails_with_a_readable_message(git_server):
    make_repo(git_server.root, "shop", {"Dockerfile": DOCKERFILE})
    repo = RepositoryFactory(url=git_server.url("shop"), branch="release")
    run = AnalysisRun.objects.create(repository=repo)
    analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "release" in run.error and "Traceback" not in run.error


def test_a_server_that_never_answers_is_retried_then_failed(silent_git_server, settings):
    settings.GIT_FETCH_TIMEOUT = 2
    settings.ANALYSIS_MAX_ATTEMPTS = 2
    repo = RepositoryFactory(url=silent_git_server.url("hang"))
    run = AnalysisRun.objects.create(repository=repo)
    first = analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.attempts == 1  # transient: back in the queue
    assert first.retry_in is not None and first.retry_in > 0
    analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "2 attempts" in run.error


def test_refused_urls_fail_before_git_runs(tmp_path, settings):
    settings.READINESS_ALLOW_LOCAL_SOURCES = False
    marker = tmp_path / "pwned"
    for url in (f"ext::sh -c touch% {marker}", "--upload-pack=touch x", f"file://{tmp_path}"):
        repo = RepositoryFactory(url=url)
        run = AnalysisRun.objects.create(repository=repo)
        analysis.analysis_execute(run_id=run.pk)
        run.refresh_from_db()
        assert run.status == RunStatus.FAILED, url
    assert not marker.exists()


def test_new_repositories_get_a_nightly_schedule():
    from tests.factories import TeamFactory

    repo = repository_register(team=TeamFactory(), name="svc", url="https://example.com/svc.git")
    assert repo.schedule is not None and repo.schedule.task == "repos.scheduled_analysis"
    assert repo.schedule.crontab.hour == "3"
    services.repository_schedule_set(repository=repo, crontab=None)
    repo.refresh_from_db()
    assert repo.schedule is None


def test_queued_runs_without_a_live_request_get_one_again(django_capture_on_commit_callbacks):
    """Runs queued before the outbox existed (no row): armed again; one behind a running run too,
    since its task waits for the running one. A run with a live outbox row is left alone."""
    long_ago = timezone.now() - timedelta(hours=1)
    lost = AnalysisRun.objects.create(repository=RepositoryFactory())
    waiting = AnalysisRun.objects.create(repository=RepositoryFactory())
    AnalysisRun.objects.create(repository=waiting.repository, status=RunStatus.RUNNING)
    AnalysisRun.objects.create(repository=RepositoryFactory())  # queued just now: left alone
    requested = services.analysis_request(repository=RepositoryFactory())  # has its outbox row
    AnalysisRun.objects.filter(pk__in=[lost.pk, waiting.pk, requested.pk]).update(queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.runs_resend_stale_queued() == 2
    assert len(callbacks) == 2
    keys = set(OutboxMessage.objects.values_list("dedup_key", flat=True))
    assert {f"analysis-run:{lost.pk}", f"analysis-run:{waiting.pk}"} <= keys


def test_a_schedule_slot_gets_one_run_however_often_it_fires():
    from tests.factories import TeamFactory

    repo = repository_register(team=TeamFactory(), name="svc", url="https://example.com/svc.git")
    fired_at = timezone.now().replace(hour=3, minute=0, second=2, microsecond=0)
    first = services.analysis_request_scheduled(repository_id=repo.pk, now=fired_at)
    AnalysisRun.objects.filter(pk=first.pk).update(status=RunStatus.SUCCEEDED)  # it ran already
    late = services.analysis_request_scheduled(repository_id=repo.pk, now=fired_at + timedelta(minutes=1))
    assert late.pk == first.pk and repo.runs.count() == 1
    assert first.schedule_slot == fired_at.replace(second=0)
    tomorrow = services.analysis_request_scheduled(repository_id=repo.pk, now=fired_at + timedelta(days=1))
    assert tomorrow.pk != first.pk and repo.runs.count() == 2


def test_a_run_taken_over_from_a_dead_worker_counts_an_attempt_and_fails_at_the_limit(settings):
    settings.ANALYSIS_MAX_ATTEMPTS = 2
    repo = RepositoryFactory()
    run = AnalysisRun.objects.create(repository=repo, status=RunStatus.RUNNING, attempts=1)
    assert analysis.analysis_execute(run_id=run.pk).run is None, "without the claim: not taken over"
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    analysis.analysis_execute(run_id=run.pk, takeover=True)  # fetch fails (no such URL); attempt 2
    run.refresh_from_db()
    assert run.attempts == 2
    AnalysisRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    analysis.analysis_execute(run_id=run.pk, takeover=True)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "2 times" in run.error


def test_a_run_notes_whether_the_healthcheck_requests_a_registered_endpoint(tmp_path):
    from tests.factories import EndpointFactory

    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "HEALTHCHECK CMD curl -f http://localhost:8000/healthz || exit 1\n"
        'CMD ["app"]\n'
    )
    repo = RepositoryFactory(url=str(tmp_path))
    EndpointFactory(repository=repo, name="live", url="https://svc.example.com/healthz")
    run = AnalysisRun.objects.create(repository=repo)
    analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert any("/healthz, the same path as registered endpoint" in note for note in run.notes), run.notes


def test_a_run_stores_each_findings_automatic_fix_as_a_diff(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    build: .  # the app\n")
    run = AnalysisRun.objects.create(repository=RepositoryFactory(url=str(tmp_path)))
    analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error

    restart = run.check_results.get(check_id="compose.restart_policy")
    assert restart.fixes == [
        {
            "summary": "web: restart: unless-stopped",
            "note": "",
            "files": ["compose.yaml"],
            "diff": "--- a/compose.yaml\n+++ b/compose.yaml\n@@ -1,3 +1,4 @@\n services:\n   web:\n"
            "     build: .  # the app\n+    restart: unless-stopped\n",
        }
    ]
    # A finding without a mechanical fix stores none; a passing one neither.
    assert run.check_results.get(check_id="dockerfile.base_image_minimal").fixes == []
    assert run.check_results.get(check_id="dockerfile.exec_form").fixes == []


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_lost_its_claim_mid_analysis_leaves_the_run_to_its_new_holder(
    sample_repo_dir, settings, monkeypatch, caplog
):
    """Worker A froze past its lease while analysing; a redelivery (B) took the run over and
    finished it. A, thawed, then hits an error: it must not end the run its own way (failed)."""
    import logging
    import threading

    from django.db import connection

    from readiness.core.models import OutboxState
    from readiness.pipeline.tasks import analysis_run_task
    from readiness.repos.models import CheckResult

    settings.OUTBOX_LEASE = 600  # no renewal of A's in the test: only the takeover moves the claim
    caplog.set_level(logging.INFO)
    repo = RepositoryFactory(url=str(sample_repo_dir))
    run = AnalysisRun.objects.create(repository=repo)
    row = OutboxMessage.objects.create(
        dedup_key=f"analysis-run:{run.pk}",
        task="repos.analysis_run",
        args=[run.pk],
        available_at=timezone.now(),
        relay_after=timezone.now(),
    )
    analyze, outcomes = analysis.analyze, {}

    def delivery(name):
        try:
            outcomes[name] = analysis_run_task(run.pk, outbox_id=row.pk)
        finally:
            if name == "B":
                connection.close()

    def frozen_then_broken(*args, **kwargs):
        if threading.current_thread().name == "B":
            return analyze(*args, **kwargs)
        OutboxMessage.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        b = threading.Thread(target=delivery, args=["B"], name="B")
        b.start()
        b.join(60)
        raise RuntimeError("A's analysis breaks after the thaw")

    monkeypatch.setattr(analysis, "analyze", frozen_then_broken)
    delivery("A")

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2, run.error  # as B ended it
    assert CheckResult.objects.filter(run=run).exists()
    row.refresh_from_db()
    assert row.state == OutboxState.DONE and row.attempts == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no traceback for the loss"
