import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from readiness.repos import services
from readiness.repos.models import AnalysisRun
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked():
    repo = RepositoryFactory(branch="main")
    secret = services.webhook_secret_rotate(repository=repo)
    return repo, secret, reverse("webhook", kwargs={"webhook_id": repo.webhook_id})


def github_headers(secret, body, delivery="d-1", event="push"):
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": signature, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}


def push(branch="main"):
    return json.dumps({"ref": f"refs/heads/{branch}", "after": "abc"}).encode()


def post(client, url, body, headers):
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_github_push_to_the_tracked_branch_queues_a_run(client, hooked, django_capture_on_commit_callbacks):
    repo, secret, url = hooked
    body = push()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, url, body, github_headers(secret, body))
    assert response.status_code == 202
    assert AnalysisRun.objects.get(repository=repo).trigger == "webhook"
    assert response.json()["run"] == AnalysisRun.objects.get().pk
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: h | {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        lambda h: h | {"X-Hub-Signature-256": "md5=abc"},
        lambda h: {k: v for k, v in h.items() if k != "X-Hub-Signature-256"},
    ],
)
def test_a_bad_or_missing_signature_is_401_and_enqueues_nothing(client, hooked, tamper):
    _repo, secret, url = hooked
    body = push()
    response = post(client, url, body, tamper(github_headers(secret, body)))
    assert response.status_code == 401
    assert not AnalysisRun.objects.exists()


def test_a_signature_over_another_body_is_refused(client, hooked):
    _repo, secret, url = hooked
    headers = github_headers(secret, push())
    response = post(client, url, push("main") + b" ", headers)
    assert response.status_code == 401


def test_other_branches_and_events_are_ignored(client, hooked):
    _repo, secret, url = hooked
    other = push("feature")
    assert post(client, url, other, github_headers(secret, other)).status_code == 200
    ping = b"{}"
    assert post(client, url, ping, github_headers(secret, ping, event="ping")).json()["detail"] == "pong"
    assert not AnalysisRun.objects.exists()


def test_a_redelivery_is_ignored(client, hooked):
    _repo, secret, url = hooked
    body = push()
    assert post(client, url, body, github_headers(secret, body, delivery="same")).status_code == 202
    AnalysisRun.objects.update(status="succeeded")
    again = post(client, url, body, github_headers(secret, body, delivery="same"))
    assert again.status_code == 200 and "already" in again.json()["detail"]
    assert AnalysisRun.objects.count() == 1


def test_gitlab_token_and_generic_hmac(client, hooked):
    _repo, secret, url = hooked
    body = push()
    gitlab = {"X-Gitlab-Token": secret, "X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "g-1"}
    assert post(client, url, body, gitlab).status_code == 202
    wrong = gitlab | {"X-Gitlab-Token": secret + "x", "X-Gitlab-Event-UUID": "g-2"}
    assert post(client, url, body, wrong).status_code == 401
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    generic = {"X-Readiness-Signature": signature, "X-Readiness-Delivery": "x-1"}
    assert post(client, url, body, generic).status_code == 202  # joins the queued run
    assert AnalysisRun.objects.count() == 1


def test_unknown_hook_and_oversized_body(client, hooked):
    _repo, secret, url = hooked
    unknown = reverse("webhook", kwargs={"webhook_id": "nope"})
    body = push()
    assert post(client, unknown, body, github_headers(secret, body)).status_code == 404
    big = b"{" + b" " * (1024 * 1024 + 1) + b"}"
    assert post(client, url, big, github_headers(secret, big)).status_code == 413
    assert client.get(url).status_code == 405
