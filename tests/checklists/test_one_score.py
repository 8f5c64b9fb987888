"""One score, one meaning (docs/scoring.md, "The readiness score"): every surface that shows a
repository's score shows the same number, and a repository never analysed shows no number at all."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.api import services as api_services
from readiness.checklists.models import AppliedChecklist
from readiness.checklists.score import repository_score
from readiness.checklists.services.applied import checklist_apply
from readiness.checklists.services.records import attestation_record
from readiness.reports.selectors import report_build
from readiness.reports.services import report_render
from readiness.repos.models import AnalysisRun
from tests.checklists.conftest import make_run
from tests.factories import MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db

SCORE_ATTR = re.compile(r'data-readiness-score="([^"]*)"')


def _shown(html: str) -> list[str]:
    return SCORE_ATTR.findall(html)


@pytest.fixture
def scene(client, small_template):
    """A lead's repository on the small template: one automated item fails, one passes, the
    manual item nobody has reviewed yet is to review; a second repository never analysed."""
    lead = MembershipFactory(role="lead")
    template = small_template(lead.team)
    repository = RepositoryFactory(team=lead.team, name="checkout-api")
    checklist_apply(repository=repository, template=template)
    never = RepositoryFactory(team=lead.team, name="never-analysed")
    checklist_apply(repository=never, template=template)
    make_run(
        repository,
        {"dockerfile.non_root_user": "fail", "dockerfile.healthcheck": "fail"},
        finished_at=timezone.now() - timedelta(days=8),
    )
    make_run(repository, {"dockerfile.non_root_user": "fail", "dockerfile.healthcheck": "pass"})
    client.force_login(lead.user)
    _, token = api_services.token_create(name="ci", created_by=lead.user, team=lead.team)
    return {"lead": lead, "team": lead.team, "repository": repository, "never": never, "token": token}


def test_every_surface_shows_the_same_readiness_score(client, scene):
    team, repository = scene["team"], scene["repository"]
    score = repository_score(repository=repository)
    # non-root fails (bronze, 3), the healthcheck passes (silver, 2); the manual item is left out.
    assert (score.value, score.text, score.coverage) == (4.0, "4.0/10", "0 of 1 reviewed")
    assert score.label == "4.0/10 · 0 of 1 reviewed"
    kwargs = {"team_slug": team.slug, "repo_slug": repository.slug}
    pages = {
        "team page": reverse("team_detail", kwargs={"team_slug": team.slug}),
        "dashboard": reverse("dashboard:team", kwargs={"team_slug": team.slug}),
        "repository page": reverse("repository_detail", kwargs=kwargs),
        "checklist": reverse("checklists:repository", kwargs=kwargs),
    }
    for surface, url in pages.items():
        html = client.get(url).content.decode()
        assert "4.0" in _shown(html), surface
        assert "0 of 1 reviewed" in html, surface
    # The compare page: the latest run (after) against the one a week earlier (before).
    compare = client.get(reverse("checklists:compare", kwargs=kwargs)).content.decode()
    after = re.search(r'data-side="after">.*?data-readiness-score="([^"]*)"', compare, re.S)
    assert after and after.group(1) == "4.0"
    applied = AppliedChecklist.objects.get(repository=repository)
    badge = client.get(reverse("checklists:badge", args=[applied.badge_token])).content.decode()
    assert ">4.0/10" in badge
    headers = {"Authorization": f"Bearer {scene['token']}"}
    api = f"/api/v1/teams/{team.slug}/repos/{repository.slug}"
    assert client.get(api + "/scorecard", headers=headers).json()["overall"] == 4.0
    gate = client.get(api + "/gate?min_score=4", headers=headers)
    assert gate.status_code == 200 and gate.json()["score"] == 4.0
    listed = {r["slug"]: r for r in client.get("/api/v1/repos", headers=headers).json()["results"]}
    assert listed[repository.slug]["latest_score"] == 4.0
    assert client.get(api + "/gate?min_score=4.1", headers=headers).status_code == 409
    # The weekly e-mail (a team this new gets a first report covering its days so far, to now).
    data = report_build(team=team)
    rows = {r["name"]: r for r in data["repositories"]}
    assert (rows["checkout-api"]["after"]["value"], rows["checkout-api"]["after"]["coverage"]) == (
        4.0,
        "0 of 1 reviewed",
    )
    _subject, text, html = report_render(data=data)
    assert "- checkout-api: 4.0 · 0 of 1 reviewed, 1 check failing" in text
    assert "- never-analysed: not analysed yet" in text and "never-analysed</a>: not analysed yet" in html


def test_a_tick_moves_every_surface_together(client, scene):
    team, repository = scene["team"], scene["repository"]
    attestation_record(
        repository=repository, template_slug="small", item_key="backup-restore", checked=True, user=None
    )
    score = repository_score(repository=repository)
    assert (score.value, score.coverage) == (5.7, "1 of 1 reviewed")  # (0 + 2 + 2) / 7
    dashboard = client.get(reverse("dashboard:team", kwargs={"team_slug": team.slug})).content.decode()
    assert "5.7" in _shown(dashboard)
    headers = {"Authorization": f"Bearer {scene['token']}"}
    api = f"/api/v1/teams/{team.slug}/repos/{repository.slug}"
    assert client.get(api + "/gate?min_score=5.7", headers=headers).json()["score"] == 5.7


def test_a_repository_never_analysed_shows_not_analysed_never_zero(client, scene):
    team, never = scene["team"], scene["never"]
    kwargs = {"team_slug": team.slug, "repo_slug": never.slug}
    for url in (
        reverse("team_detail", kwargs={"team_slug": team.slug}),
        reverse("dashboard:team", kwargs={"team_slug": team.slug}),
        reverse("repository_detail", kwargs=kwargs),
        reverse("checklists:repository", kwargs=kwargs),
    ):
        html = client.get(url).content.decode()
        assert "not analysed" in _shown(html), url
    applied = AppliedChecklist.objects.get(repository=never)
    badge = client.get(reverse("checklists:badge", args=[applied.badge_token])).content.decode()
    assert "not analysed" in badge and "0.0" not in badge and "#6b7280" in badge
    # Its only run failed: the failure, still no number.
    AnalysisRun.objects.create(repository=never, status="failed", error="git clone failed: not found")
    html = client.get(reverse("dashboard:team", kwargs={"team_slug": team.slug})).content.decode()
    assert "analysis failed" in _shown(html) and "git clone failed: not found" in html
    # The checklist page too (it reads the latest run only when the checklist was not analysed).
    assert "analysis failed" in _shown(
        client.get(reverse("checklists:repository", kwargs=kwargs)).content.decode()
    )
    badge = client.get(reverse("checklists:badge", args=[applied.badge_token])).content.decode()
    assert "analysis failed" in badge
