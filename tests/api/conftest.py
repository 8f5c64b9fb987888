"""Fixtures for the API tests: tokens, scored runs, and rate-limit counters under a per-test prefix."""

import uuid

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from readiness.api import services
from readiness.checklists.models import AppliedChecklist, ChecklistTemplate, TemplateItem
from readiness.checklists.services.states import checklist_run_finished, checklist_states_refresh
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
ALL_PASS = [{**check, "status": "pass", "evidence": []} for check in DEFAULT_CHECKS]
# The readiness score of DEFAULT_CHECKS on apply_checklist's template: non-root fails (weight 3),
# the healthcheck passes (3), the cache warns (1 x 0.5), the manual item is to review (left out).
DEFAULT_READINESS = 5.0  # (0 + 3 + 0.5) / 7


def apply_checklist(repository) -> AppliedChecklist:
    """A primary checklist over DEFAULT_CHECKS' ids, with one manual item nobody has reviewed."""
    template, created = ChecklistTemplate.objects.get_or_create(
        team=repository.team, slug="api-test", defaults={"title": "API test"}
    )
    for position, (key, level, check) in enumerate(
        [
            ("non-root", "bronze", "dockerfile.non_root_user"),
            ("healthcheck", "bronze", "dockerfile.healthcheck"),
            ("cache", "gold", "dockerfile.buildkit_cache"),
            ("backups", "silver", None),
        ]
    ):
        if not created:
            break
        TemplateItem.objects.create(
            template=template,
            category_id="security" if level == "bronze" else "build",
            category_title="Security" if level == "bronze" else "Build",
            position=position,
            key=key,
            title=key,
            level=level,
            checks=[check] if check else [],
            manual=check is None,
        )
    applied = AppliedChecklist.objects.create(repository=repository, template=template, primary=True)
    checklist_states_refresh(repository=repository)
    return applied


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
    checklist_run_finished(run=run)  # as the pipeline does: the run's snapshot and the live state
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
