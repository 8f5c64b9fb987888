"""End to end on a real worker and the real Redis broker: an analysis that regresses records its
alerts in the pipeline, the outbox publishes the send, the worker's alerts.send posts one signed
message through the SSRF guard to a receiver on 127.0.0.1."""

import hashlib
import hmac
import time

import pytest
from django.urls import reverse

from readiness.alerts import services
from readiness.alerts.models import AlertDelivery, AlertSettings, DeliveryStatus
from readiness.core.models import AllowedNetwork
from readiness.repos.models import AnalysisRun, RunStatus
from tests.alerts.conftest import Recorder
from tests.factories import MembershipFactory, RepositoryFactory
from tests.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SECRET = "integration-secret-0123456789"
FIXED = """FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home app
USER app
EXPOSE 5000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:5000/health')"
CMD ["python", "app.py"]
"""


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def receiver():
    import threading

    server = Recorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def analyse(client, repository):
    client.post(
        reverse("analysis_start", kwargs={"team_slug": repository.team.slug, "repo_slug": repository.slug})
    )
    run = AnalysisRun.objects.filter(repository=repository).order_by("-id").first()
    assert wait_for(lambda: AnalysisRun.objects.get(pk=run.pk).is_finished), (
        "the worker never finished the run"
    )
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def test_a_regression_reaches_the_webhook_once_through_a_real_worker(client, sample_repo_dir, receiver):
    member = MembershipFactory(role="lead")
    repository = RepositoryFactory(team=member.team, url=str(sample_repo_dir))
    AllowedNetwork.objects.create(target="127.0.0.1", port=receiver.port, reason="test receiver")
    AlertSettings.objects.create(team=member.team, group_window_s=0)
    services.channel_create(
        team=member.team,
        name="hook",
        kind="webhook",
        url=receiver.url("/hook"),
        secret=SECRET,
        events=["score_drop", "check_fails"],
    )
    client.force_login(member.user)
    original = (sample_repo_dir / "Dockerfile").read_text()
    with running_worker("analysis", "email"):
        (sample_repo_dir / "Dockerfile").write_text(FIXED)
        analyse(client, repository)
        (sample_repo_dir / "Dockerfile").write_text(original)  # the push that removes the fixes
        run = analyse(client, repository)
        assert wait_for(lambda: receiver.requests), "no alert reached the receiver"
        assert wait_for(
            lambda: not AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).exists(), timeout=30
        )
        time.sleep(2)  # nothing more comes: one message for the run's alerts
    (request,) = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Readiness-Signature-256"] == expected
    payload = receiver.json()
    kinds = {e["kind"] for e in payload["events"]}
    assert "check_fails" in kinds
    titles = {e["title"] for e in payload["events"] if e["kind"] == "check_fails"}
    assert any("HEALTHCHECK" in t or "health" in t.lower() for t in titles), titles
    assert all(e["url"].endswith(f"/runs/{run.pk}/") for e in payload["events"])
    assert AlertDelivery.objects.filter(status=DeliveryStatus.SENT).count() == len(payload["events"])
