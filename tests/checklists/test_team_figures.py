"""Team figures name regressions instead of a mean, and comparisons tell the seed's story: an item
that starts to apply is Added, and manual items nobody has reviewed do not drag a fix to Improved."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot, ChecklistTemplate
from readiness.checklists.score import ScoreChange, team_headline, team_score_changes
from readiness.checklists.selectors.compare import _item_change
from readiness.checklists.services.applied import checklist_apply
from readiness.pipeline import analysis
from readiness.pipeline.registration import repository_register
from readiness.repos.models import AnalysisRun, RunStatus
from tests.factories import AnalysisRunFactory, MembershipFactory, RepositoryFactory, TeamFactory

pytestmark = pytest.mark.django_db


# Headlines ----------------------------------------------------------------------------------------


def test_the_headline_names_regressions_first_largest_drop_first():
    changes = [
        ScoreChange("web", 5.0, 7.5, "bronze", "bronze"),  # better
        ScoreChange("worker", 7.0, 7.0, "silver", "bronze"),  # lost Silver only
        ScoreChange("api", 8.1, 6.0, "silver", "silver"),  # the largest drop
        ScoreChange("db", 6.0, 6.0, "bronze", "bronze"),  # same
        ScoreChange("new", None, 4.0),  # first score
    ]
    assert team_headline(changes) == "2 repositories got worse: api 8.1 → 6.0, worker lost Silver"
    assert [c.movement for c in changes] == ["better", "worse", "worse", "same", "new"]
    assert ScoreChange("api", 8.1, 6.0, "silver", "bronze").phrase == "api 8.1 → 6.0 (lost Silver)"
    # A mean (6.1 → 6.2 here) would have read as progress.
    assert team_headline([changes[0], changes[3]]) == "1 repository got better: web 5.0 → 7.5"
    assert team_headline([changes[3], ScoreChange("never", None, None)]) == "no change"
    many = [ScoreChange(f"r{i}", 9.0, 8.0 - i * 0.1) for i in range(5)]
    assert (
        team_headline(many) == "5 repositories got worse: r4 9.0 → 7.6, r3 9.0 → 7.7, r2 9.0 → 7.8 and 2 more"
    )


def _snapshot(repository, template, *, overall, level, days_ago):
    at = timezone.now() - timedelta(days=days_ago)
    run = AnalysisRunFactory(repository=repository, status=RunStatus.SUCCEEDED, finished_at=at)
    ChecklistSnapshot.objects.create(
        run=run,
        repository=repository,
        template=template,
        template_slug=template.slug,
        data={},
        overall=overall,
        level=level,
        taken_at=at,
    )


def _team_with_a_week(template):
    """api fell 8.1 → 6.0, worker lost Silver, web rose 5.0 → 7.5, never was never analysed."""
    team = TeamFactory(name="Payments")
    plan = {
        "api": ((8.1, "silver"), (6.0, "silver")),
        "worker": ((7.0, "silver"), (7.0, "bronze")),
        "web": ((5.0, "bronze"), (7.5, "bronze")),
        "never": (None, (None, "")),
    }
    for name, (then, now) in plan.items():
        repository = RepositoryFactory(team=team, name=name, slug=name)
        AppliedChecklist.objects.create(
            repository=repository,
            template=template,
            primary=True,
            overall=now[0],
            level=now[1],
            state={"overall": now[0], "level": now[1], "items": {}, "analysed": now[0] is not None},
        )
        if then is not None:
            _snapshot(repository, template, overall=then[0], level=then[1], days_ago=9)
            _snapshot(repository, template, overall=now[0], level=now[1], days_ago=1)
    return team


def test_the_dashboard_and_the_home_page_name_the_weeks_regressions_not_a_mean(client):
    template = ChecklistTemplate.objects.create(slug="t", title="T")
    team = _team_with_a_week(template)
    other = _team_with_a_week(ChecklistTemplate.objects.create(slug="u", title="U"))
    changes = team_score_changes(
        repository_ids=team.repositories.values("pk"), since=timezone.now() - timedelta(7)
    )
    assert {c.name: (c.before, c.after) for c in changes} == {
        "api": (8.1, 6.0),
        "worker": (7.0, 7.0),
        "web": (5.0, 7.5),
        "never": (None, None),
    }
    member = MembershipFactory(team=team)
    MembershipFactory(team=other, user=member.user)
    client.force_login(member.user)
    headline = "2 repositories got worse: api 8.1 → 6.0, worker lost Silver"
    dashboard = client.get(reverse("dashboard:team", args=[team.slug])).content.decode()
    assert f"Last 7 days: <strong>{headline}</strong>" in dashboard
    home = client.get(reverse("home")).content.decode()
    assert home.count(headline) == 2 and "mean score" not in home


# Compare labels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "label"),
    [
        ("na", "pass", "Added"),  # a check that starts to apply and passes: nothing was fixed
        ("pending", "pass", "Added"),
        ("fail", "pass", "Fixed"),
        ("warn", "pass", "Fixed"),
        ("pass", "na", "No longer applies"),
        ("todo", "done", "Reviewed"),  # a manual item nobody had reviewed was not failing
        ("done", "due", "Fell due"),
        ("done", "todo", "Unticked"),
        ("pass", "fail", "Regressed"),
        ("fail", "waived", "Waived"),
        ("waived", "fail", "Waiver ended"),
        ("fail", "warn", "Improved"),
        (None, "pass", "New"),
        ("pass", None, "Removed"),
    ],
)
def test_item_change_labels(before, after, label):
    assert _item_change(before, after) == label


# The seed's story on the demo ---------------------------------------------------------------------


def _analyse(repository) -> AnalysisRun:
    run = AnalysisRun.objects.create(repository=repository)
    analysis.analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def test_the_demo_tells_the_seeds_story_dockerignore_0_to_10_fixed(client, sample_repo_dir):
    """The demo's sample service, analysed, then given the .dockerignore the seed (004) adds: the
    EVALUATION template's comparison reads ".dockerignore 0.0/10 → 10.0/10 Fixed" (its manual item,
    nobody reviewed, is left out instead of holding it at 8.3), the new file's checks read Fixed."""
    member = MembershipFactory(role="lead")
    repository = repository_register(team=member.team, name="sample-service", url=str(sample_repo_dir))
    evaluation = ChecklistTemplate.objects.get(slug="docker-build-evaluation", is_current=True, team=None)
    checklist_apply(repository=repository, template=evaluation)
    before = _analyse(repository)
    (sample_repo_dir / ".dockerignore").write_text(".git\n.env\n*.pem\n__pycache__\n.venv\n")
    after = _analyse(repository)

    client.force_login(member.user)
    url = reverse("checklists:compare", args=[member.team.slug, repository.slug])
    query = {"template": "docker-build-evaluation", "before": before.pk, "after": after.pk, "format": "md"}
    table = client.get(url, query).content.decode()
    assert "| .dockerignore | 0.0/10 | 10.0/10 | Fixed |" in table
    # The default comparison (the primary checklist): the same fix is progress, never dragged
    # back by the manual items nobody has reviewed.
    default = client.get(url, {"format": "md"}).content.decode()
    overall = next(line for line in default.splitlines() if line.startswith("| **Readiness score**"))
    assert overall.endswith("| Improved |"), overall
