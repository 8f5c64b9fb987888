"""Fixtures for the API tests: tokens, scored runs, and rate-limit counters under a per-test prefix."""

import uuid

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from readiness.api import services
from readiness.repos.models import AnalysisRun, CheckResult, ScoreSnapshot
from tests.factories import MembershipFactory, RepositoryFactory

# Real catalog ids, so the SARIF renderer knows them.
DEFAULT_CHECKS = [
    {
        "check_id": "dockerfile.non_root_user",
        "category": "security",
        "status": "fail",
        "severity": "high",
        "title": "Runs as a non-root user",
        "evidence": [{"file": "Dockerfile", "line": 3, "message": "the final stage runs as root"}],
        "remediation": "Add USER app to the final stage.",
    },
    {
        "check_id": "dockerfile.healthcheck",
        "category": "reliability",
        "status": "pass",
        "severity": "high",
        "title": "Healthcheck",
        "evidence": [],
        "remediation": "",
    },
    {
        "check_id": "dockerfile.buildkit_cache",
        "category": "build",
        "status": "warn",
        "severity": "low",
        "title": "BuildKit cache",
        "evidence": [{"file": "Dockerfile", "line": None, "message": "no cache mount"}],
        "remediation": "Use RUN --mount=type=cache.",
    },
]
DEFAULT_SCORES = {"security": 4.0, "reliability": 10.0, "build": 8.0}


@pytest.fixture(autouse=True)
def rate_limit_keys(settings):
    """A key prefix of this test's own (parallel runs and other tests never share counters);
    the keys are deleted afterwards."""
    prefix = f"test-rl-{uuid.uuid4().hex[:12]}"
    settings.RATE_LIMIT_KEY_PREFIX = prefix
    url = settings.RATE_LIMIT_REDIS_URL
    yield prefix
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def redis_client():
    return redis.Redis.from_url(settings.RATE_LIMIT_REDIS_URL)


def bearer(plaintext: str) -> dict:
    return {"Authorization": f"Bearer {plaintext}"}


def make_scored_run(repository, *, score=7.3, scores=None, checks=None, finished_at=None) -> AnalysisRun:
    now = finished_at or timezone.now()
    run = AnalysisRun.objects.create(
        repository=repository,
        status="succeeded",
        score=score,
        started_at=now,
        finished_at=now,
        engine_version="0.1.0",
        commit_sha="abc123",
    )
    for check in DEFAULT_CHECKS if checks is None else checks:
        CheckResult.objects.create(run=run, **check)
    scores = DEFAULT_SCORES if scores is None else scores
    ScoreSnapshot.objects.create(run=run, category=ScoreSnapshot.OVERALL, title="Overall", score=score)
    for category, value in scores.items():
        ScoreSnapshot.objects.create(run=run, category=category, title=category.title(), score=value)
    return run


@pytest.fixture
def world(db):
    """Two teams; a lead, an engineer and a viewer of the first, with personal tokens and a team token."""
    lead = MembershipFactory(role="lead")
    team = lead.team
    engineer = MembershipFactory(role="engineer", team=team)
    viewer = MembershipFactory(role="viewer", team=team)
    other = MembershipFactory(role="lead")
    repo = RepositoryFactory(team=team, name="api-service")
    other_repo = RepositoryFactory(team=other.team, name="secret-service")
    _, team_token = services.token_create(name="ci", created_by=lead.user, team=team)
    _, engineer_token = services.token_create(name="mine", created_by=engineer.user, user=engineer.user)
    _, viewer_token = services.token_create(name="mine", created_by=viewer.user, user=viewer.user)
    _, other_token = services.token_create(name="ci", created_by=other.user, team=other.team)

    class World:
        pass

    w = World()
    w.team, w.lead, w.engineer, w.viewer = team, lead, engineer, viewer
    w.other, w.repo, w.other_repo = other, repo, other_repo
    w.team_token, w.engineer_token, w.viewer_token, w.other_token = (
        team_token,
        engineer_token,
        viewer_token,
        other_token,
    )
    return w


def repo_path(repo, suffix="") -> str:
    return f"/api/v1/teams/{repo.team.slug}/repos/{repo.slug}{suffix}"
