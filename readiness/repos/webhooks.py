"""Push webhooks from GitHub, GitLab, or any host that signs the body with HMAC-SHA256.

Signatures are compared in constant time; only pushes to the tracked branch trigger a run, and a
delivery id seen before is ignored, so a host's redelivery does not analyze twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from readiness.core.crypto import DecryptionError, decrypt
from readiness.repos.models import Repository, Trigger, WebhookDelivery
from readiness.repos.services import analysis_request

MAX_BODY_BYTES = 1024 * 1024


@dataclass
class WebhookOutcome:
    status: int
    detail: str
    run_id: int | None = None


def _hmac_ok(secret: str, body: bytes, header_value: str) -> bool:
    if not header_value.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header_value.strip().encode())


def _identify(headers) -> tuple[str, str, str] | None:
    """(provider, event, delivery id) from the request headers, or None when unsigned."""
    if "X-Hub-Signature-256" in headers:
        return "github", headers.get("X-GitHub-Event", ""), headers.get("X-GitHub-Delivery", "")
    if "X-Gitlab-Token" in headers:
        delivery = headers.get("X-Gitlab-Event-UUID") or headers.get("Idempotency-Key", "")
        return "gitlab", headers.get("X-Gitlab-Event", ""), delivery
    if "X-Readiness-Signature" in headers:
        return "generic", headers.get("X-Readiness-Event", "push"), headers.get("X-Readiness-Delivery", "")
    return None


def _authentic(provider: str, secret: str, body: bytes, headers) -> bool:
    if provider == "github":
        return _hmac_ok(secret, body, headers.get("X-Hub-Signature-256", ""))
    if provider == "gitlab":
        return hmac.compare_digest(secret.encode(), headers.get("X-Gitlab-Token", "").encode())
    return _hmac_ok(secret, body, headers.get("X-Readiness-Signature", ""))


def _is_push(provider: str, event: str) -> bool:
    return {"github": event == "push", "gitlab": event == "Push Hook", "generic": event == "push"}[provider]


def _pushed_branch(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    ref = payload.get("ref")
    if isinstance(ref, str) and ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/")
    branch = payload.get("branch")
    return branch if isinstance(branch, str) else None


def webhook_receive(*, webhook_id: str, headers, body: bytes) -> WebhookOutcome:
    repository = Repository.objects.filter(webhook_id=webhook_id).first()
    if repository is None or not repository.webhook_secret_encrypted:
        return WebhookOutcome(404, "unknown webhook")
    identified = _identify(headers)
    if identified is None:
        return WebhookOutcome(401, "missing signature header")
    provider, event, delivery_id = identified
    try:
        secret = decrypt(repository.webhook_secret_encrypted)
    except DecryptionError:
        return WebhookOutcome(401, "the webhook secret cannot be read; rotate it")
    if not _authentic(provider, secret, body, headers):
        return WebhookOutcome(401, "bad signature")
    if provider == "github" and event == "ping":
        return WebhookOutcome(200, "pong")
    if not _is_push(provider, event):
        return WebhookOutcome(200, f"ignored: event {event!r} is not a push")
    if repository.archived_at is not None:
        return WebhookOutcome(200, "ignored: the repository is archived")
    branch = _pushed_branch(body)
    if branch != repository.branch:
        return WebhookOutcome(200, f"ignored: push to {branch!r}, tracking {repository.branch!r}")
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                repository=repository, delivery_id=delivery_id[:200] or hashlib.sha256(body).hexdigest()
            )
            run = analysis_request(repository=repository, trigger=Trigger.WEBHOOK)
            delivery.run = run
            delivery.save(update_fields=["run"])
    except IntegrityError:
        return WebhookOutcome(200, "ignored: delivery already received")
    return WebhookOutcome(202, "analysis queued", run_id=run.pk)
