"""Trend charts: the SVG builder, the team's weekly trend, a repository's trend at each run, and
the pages that show them."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot, ChecklistTemplate
from readiness.dashboard.charts import (
    level_bar_svg,
    repository_trend_chart,
    team_trend_chart,
    trend_chart_svg,
)
from readiness.dashboard.selectors import repository_trend, team_trend
from tests.factories import AnalysisRunFactory, MembershipFactory, RepositoryFactory

START = datetime(2026, 9, 1, tzinfo=UTC)


def test_the_chart_draws_every_point_as_steps_with_tooltips_and_end_labels():
    points = [(START + timedelta(days=d), v, f"run {d}") for d, v in ((7, 2.0), (30, 6.5), (50, 9.0))]
    svg = trend_chart_svg(
        [{"name": "Score", "css": "series-mean", "points": points}],
        start=START,
        end=START + timedelta(days=84),
        label="Score <over> time",
        ticks=[START + timedelta(weeks=2)],
    )
    assert svg.count("<circle") == 3
    assert "<title>Score: 6.5 (run 30)</title>" in svg
    path = re.search(r'<path class="line series-mean" d="([^"]+)"', svg).group(1)
    assert path.startswith("M") and path.count("H") == 3 and path.count("V") == 2  # steps, then to the end
    assert ">Score 9.0</text>" in svg  # the last value at the right edge
    assert 'class="guide guide-good"' in svg and 'class="guide guide-fair"' in svg
    assert 'aria-label="Score &lt;over&gt; time"' in svg and ">15 Sep</text>" in svg
    # Values outside 0..10 and moments outside the window stay inside the plot.
    clamped = trend_chart_svg(
        [{"name": "S", "css": "c", "points": [(START - timedelta(days=9), 12.0, "")]}],
        start=START,
        end=START + timedelta(days=1),
        label="x",
    )
    cx, cy = (float(v) for v in re.search(r'cx="([\d.]+)" cy="([\d.]+)"', clamped).groups())
    assert cx == 34.0 and cy == 12.0


def test_no_points_no_chart():
    assert trend_chart_svg([{"name": "S", "css": "c", "points": []}], start=START, end=START, label="x") == ""
    assert level_bar_svg([{"level": "gold", "count": 0}]) == ""
    assert team_trend_chart({"start": START, "end": START, "weeks": []})["svg"] == ""


def test_level_bar_widths_are_proportional():
    svg = level_bar_svg([{"level": "gold", "count": 1}, {"level": "none", "count": 3}], width=200)
    assert 'class="bar-gold" x="0.0" y="0" width="50.0"' in svg
    assert 'class="bar-none" x="50.0" y="0" width="150.0"' in svg


@pytest.fixture
def template(db):
    return ChecklistTemplate.objects.create(slug="trend", title="Trend")


def snapshot(repository, template, *, at, overall):
    run = AnalysisRunFactory(repository=repository, status="succeeded", finished_at=at)
    return ChecklistSnapshot.objects.create(
        run=run,
        repository=repository,
        template=template,
        template_slug=template.slug,
        data={},
        overall=overall,
        taken_at=at,
    )


@pytest.mark.django_db
def test_team_trend_averages_each_weeks_runs_and_ends_with_the_live_scores(template):
    member = MembershipFactory()
    now = timezone.now()
    a = RepositoryFactory(team=member.team)
    b = RepositoryFactory(team=member.team)
    never = RepositoryFactory(team=member.team)  # never analysed: no score, left out
    AppliedChecklist.objects.create(repository=a, template=template, primary=True, overall=8.0)
    AppliedChecklist.objects.create(repository=b, template=template, primary=True, overall=2.0)
    AppliedChecklist.objects.create(repository=never, template=template, primary=True, overall=None)
    other = ChecklistTemplate.objects.create(slug="other", title="Other")
    AppliedChecklist.objects.create(repository=a, template=other, primary=False, overall=0.0)
    snapshot(a, template, at=now - timedelta(weeks=9, days=3), overall=4.0)
    snapshot(a, other, at=now - timedelta(weeks=9, days=3), overall=0.0)  # not the primary checklist
    snapshot(a, template, at=now - timedelta(weeks=5, days=3), overall=5.0)
    snapshot(b, template, at=now - timedelta(weeks=5, days=2), overall=6.0)
    snapshot(a, template, at=now - timedelta(weeks=5, days=1), overall=7.0)
    snapshot(RepositoryFactory(), template, at=now - timedelta(weeks=5), overall=0.0)  # another team's
    weeks = team_trend(team=member.team, now=now)["weeks"]
    assert [w["mean"] for w in weeks] == [None, None, 4.0, None, None, None, 6.0, None, None, None, None, 5.0]
    assert [(weeks[i]["lowest"], weeks[i]["count"]) for i in (2, 6, 11)] == [(4.0, 1), (5.0, 2), (2.0, 2)]
    assert weeks[-1]["end"] == now

    chart = team_trend_chart(team_trend(team=member.team, now=now))
    assert chart["svg"].count("<circle") == 6  # three weeks with runs, two series
    assert chart["now"] == {"mean": 5.0, "lowest": 2.0}
    assert chart["label"] == "Team score over 12 weeks: average from 4.0 to 5.0, lowest from 4.0 to 2.0"


@pytest.mark.django_db
def test_repository_trend_has_every_run_and_the_score_carried_in(template):
    repository = RepositoryFactory()
    AppliedChecklist.objects.create(repository=repository, template=template, primary=True, overall=7.0)
    now = timezone.now()
    snapshot(repository, template, at=now - timedelta(weeks=20), overall=1.0)
    snapshot(repository, template, at=now - timedelta(weeks=13), overall=3.0)
    for days, overall in ((40, 5.0), (39, 5.5), (2, 7.0)):  # two runs in one week: both drawn
        snapshot(repository, template, at=now - timedelta(days=days), overall=overall)
    trend = repository_trend(repository=repository, now=now)
    assert [(p["score"], p["carried"]) for p in trend["points"]] == [
        (3.0, True),
        (5.0, False),
        (5.5, False),
        (7.0, False),
    ]
    assert trend["points"][0]["at"] == now - timedelta(weeks=12)
    chart = repository_trend_chart(trend)
    assert chart["svg"].count("<circle") == 4
    assert chart["label"] == "Trend score over 12 weeks: 3 runs, from 3.0 to 7.0"
    assert "before these weeks" in chart["svg"]


@pytest.mark.django_db
def test_pages_show_the_chart_its_legend_and_its_figures(client, template):
    member = MembershipFactory()
    repository = RepositoryFactory(team=member.team, slug="svc")
    AppliedChecklist.objects.create(repository=repository, template=template, primary=True, overall=6.0)
    snapshot(repository, template, at=timezone.now() - timedelta(days=10), overall=6.0)
    client.force_login(member.user)
    dashboard = client.get(reverse("dashboard:team", args=[member.team.slug])).content.decode()
    assert (
        '<svg class="trend-chart"' in dashboard and "Lowest repository, now <strong>6.0</strong>" in dashboard
    )
    assert "<summary>The figures</summary>" in dashboard
    page = client.get(reverse("repository_detail", args=[member.team.slug, "svc"])).content.decode()
    assert '<svg class="trend-chart"' in page and "Score at each run, now <strong>6.0</strong>" in page
    assert "style=" not in dashboard.split("<body", 1)[1]  # nothing the CSP would refuse
    empty = RepositoryFactory(team=member.team, slug="new")
    html = client.get(reverse("repository_detail", args=[member.team.slug, empty.slug])).content.decode()
    assert "No score yet: the chart starts with the first analysis." in html
