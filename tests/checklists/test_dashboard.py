"""The team dashboard: content, filters, and a query count that does not grow with the team."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot, ChecklistTemplate, TemplateItem
from readiness.endpoints.models import Endpoint
from readiness.repos.models import AnalysisRun, Repository, RunStatus
from readiness.teams.activity import activity_record
from tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


def seed(team, count: int, template) -> None:
    """``count`` repositories, each with a run, a primary checklist state and 12 weekly snapshots."""
    now = timezone.now()
    repositories = Repository.objects.bulk_create(
        Repository(team=team, name=f"svc-{i:04d}", slug=f"svc-{i:04d}", url="/x") for i in range(count)
    )
    runs = AnalysisRun.objects.bulk_create(
        AnalysisRun(
            repository=r,
            status=RunStatus.SUCCEEDED,
            finished_at=now - timedelta(weeks=week),
            commit_sha="f00dfeed",
        )
        for r in repositories
        for week in range(3)
    )
    AppliedChecklist.objects.bulk_create(
        AppliedChecklist(
            repository=r,
            template=template,
            primary=True,
            overall=(i % 11) * 1.0,
            level=("gold", "silver", "bronze", "")[i % 4],
            state={
                "overall": (i % 11) * 1.0,
                "level": ("gold", "silver", "bronze", "")[i % 4],
                "categories": {
                    "security": {"title": "Security", "score": 4.0},
                    "build": {"title": "Build", "score": 9.5},
                },
                "items": {},
                "waived": i % 2,
            },
        )
        for i, r in enumerate(repositories)
    )
    Endpoint.objects.bulk_create(
        Endpoint(
            repository=r,
            name=f"health-{k}",
            url="https://example.com/health",
            next_probe_at=now,
            state=("up", "down", "unknown")[(i + k) % 3],
        )
        for i, r in enumerate(repositories)
        if i % 2
        for k in range(2)
    )
    ChecklistSnapshot.objects.bulk_create(
        ChecklistSnapshot(
            run=run,
            repository=run.repository,
            template=template,
            template_slug=template.slug,
            data={},
            overall=5.0 + (now - run.finished_at).days * 0.1,
            taken_at=run.finished_at,
        )
        for run in runs
    )


@pytest.fixture
def template(db):
    template = ChecklistTemplate.objects.create(slug="dash", title="Dash")
    TemplateItem.objects.create(
        template=template,
        category_id="security",
        category_title="Security",
        position=1,
        key="a",
        title="A",
        checks=["x.y"],
    )
    return template


def dashboard_queries(client, team) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard:team", args=[team.slug]))
    assert response.status_code == 200
    return len(queries), response.content


def test_query_count_is_the_same_with_50_and_500_repositories(client, template):
    small, large = TeamFactory(), TeamFactory()
    seed(small, 50, template)
    seed(large, 500, template)
    member_small = MembershipFactory(team=small)
    member_large = MembershipFactory(team=large, user=member_small.user)
    client.force_login(member_small.user)
    count_small, html_small = dashboard_queries(client, small)
    count_large, html_large = dashboard_queries(client, large)
    assert count_small == count_large
    # the table, the summary cards (4), the trend (2), the team switcher (1), the headline (1)
    assert count_small <= 19
    # The endpoints card's counts serve the table's rows: the endpoints are read once.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("dashboard:team", args=[large.slug]))
    assert len([q for q in queries.captured_queries if 'FROM "endpoints_endpoint"' in q["sql"]]) == 1
    assert b"50 repositories" in html_small and b"500 repositories" in html_large
    assert member_large.team == large


def test_dashboard_shows_score_level_heat_map_sparkline_and_run(client, template):
    team = TeamFactory()
    seed(team, 3, template)
    client.force_login(MembershipFactory(team=team).user)
    html = client.get(reverse("dashboard:team", args=[team.slug])).content.decode()
    assert "svc-0000" in html and "svc-0002" in html
    assert '<td class="heat heat-poor" title="Security" data-label="Security">4.0</td>' in html
    assert '<td class="heat heat-good" title="Build" data-label="Build">9.5</td>' in html
    assert html.count('<svg class="spark"') == 3
    assert 'class="level level-gold"' in html
    assert "f00dfee" in html and "status-succeeded" in html
    # Endpoints: none for even rows; svc-0001 has one down and one not probed yet.
    assert html.count('<span class="muted">none</span>') == 2
    assert '<span class="status status-fail">1 down</span>' in html


def test_search_filter_sort_and_pages(client, template):
    team = TeamFactory()
    seed(team, 30, template)
    client.force_login(MembershipFactory(team=team).user)
    url = reverse("dashboard:team", args=[team.slug])
    assert "svc-0026" not in client.get(url, {"sort": "name"}).content.decode()  # 25 a page
    assert "svc-0026" in client.get(url, {"sort": "name", "page": 2}).content.decode()
    found = client.get(url, {"q": "0007"}).content.decode()
    assert "svc-0007" in found and "svc-0008" not in found and "1 repository" in found
    gold = client.get(url, {"level": "gold"}).content.decode()
    gold = gold[gold.index('id="dashboard-table"') :]  # the summary cards above speak of the whole team
    assert "svc-0000" in gold and "svc-0001" not in gold
    best_first = client.get(url, {"sort": "-score"}).content.decode()
    best_first = best_first[best_first.index('id="dashboard-table"') :]
    assert best_first.index("svc-0010") < best_first.index("svc-0009") < best_first.index("svc-0001")
    partial = client.get(url, {"q": "zzz"}, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b"No repository matches" in partial.content


def test_empty_dashboard_says_what_to_do(client):
    member = MembershipFactory()
    client.force_login(member.user)
    html = client.get(reverse("dashboard:team", args=[member.team.slug])).content.decode()
    assert "No repositories yet." in html and "Register one" in html


def test_overview_across_teams_for_a_member_of_several(client, template):
    first, second = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    seed(first, 3, template)
    seed(second, 30, template)
    member = MembershipFactory(team=first)
    MembershipFactory(team=second, user=member.user)
    outsider_team = TeamFactory(name="Gamma")
    seed(outsider_team, 2, template)
    client.force_login(member.user)
    html = client.get(reverse("home")).content.decode()
    assert "Alpha" in html and "Beta" in html and "Gamma" not in html
    assert "<strong>3</strong> repositories" in html and "<strong>30</strong> repositories" in html
    assert reverse("dashboard:team", args=[second.slug]) in html
    assert "svc-0000" in html  # lowest scores link to their checklists


def test_failing_first_by_default_and_sortable_headers_keep_the_filters(client, template):
    team = TeamFactory()
    seed(team, 12, template)
    client.force_login(MembershipFactory(team=team).user)
    url = reverse("dashboard:team", args=[team.slug])
    html = client.get(url, {"q": "svc", "level": "bronze", "page": "1"}).content.decode()
    html = html[html.index('id="dashboard-table"') :]
    # Lowest score first without a ?sort=: svc-0002 (2.0) before svc-0006 (6.0) before svc-0010 (10.0).
    assert html.index("svc-0002") < html.index("svc-0006") < html.index("svc-0010")
    assert 'aria-sort="ascending"' in html and html.count("aria-sort=") == 1
    # Each header keeps the search and the level, drops the page, and the sorted one reverses.
    assert 'href="?q=svc&amp;level=bronze&amp;sort=-score"' in html
    assert 'href="?q=svc&amp;level=bronze&amp;sort=name"' in html
    assert 'href="?q=svc&amp;level=bronze&amp;sort=run"' in html
    reverse_html = client.get(url, {"sort": "-score"}).content.decode()
    assert 'aria-sort="descending"' in reverse_html and 'href="?sort=score"' in reverse_html
    assert client.get(url, {"sort": "nonsense"}).status_code == 200  # an unknown sort falls back


def test_summary_cards_name_regressions_levels_and_failing_endpoints(client, template):
    team = TeamFactory()
    seed(team, 4, template)  # svc-0001 has one endpoint down and one not probed; svc-0003 the same
    now = timezone.now()
    worse = Repository.objects.get(team=team, slug="svc-0002")  # 2.0 and bronze now
    ChecklistSnapshot.objects.filter(repository=worse).update(overall=7.5, level="silver")
    ChecklistSnapshot.objects.filter(repository__team=team).exclude(repository=worse).update(overall=0.0)
    ChecklistSnapshot.objects.filter(repository=worse, taken_at__gte=now - timedelta(days=7)).delete()
    client.force_login(MembershipFactory(team=team).user)
    html = client.get(reverse("dashboard:team", args=[team.slug])).content.decode()
    cards = html[html.index('class="stats"') : html.index('class="filters')]
    assert "Regressions, last 7 days" in cards and "1<small> repository got worse" in cards
    assert "svc-0002" in cards and "7.5 → 2.0, silver → bronze" in cards
    assert "3<small> of 4 reach a level" in cards  # gold, silver, bronze, none
    assert "Gold <strong>1</strong>" in cards and "No level <strong>1</strong>" in cards
    assert 'aria-label="Repositories by level: Gold 1, Silver 1, Bronze 1, No level 1"' in cards
    assert "2<small> of 4 down" in cards and "Failing endpoints" in cards
    # No mean that hides a regression (issue #13): the lowest readiness scores, lowest first.
    assert "Average score" not in cards and "Lowest scores" in cards
    assert cards.index(">0.0<small>/10") < cards.index(">1.0<small>/10") < cards.index(">2.0<small>/10")


def test_summary_cards_when_nothing_got_worse(client, template):
    team = TeamFactory()
    seed(team, 2, template)
    ChecklistSnapshot.objects.filter(repository__team=team).update(overall=0.0, level="")
    client.force_login(MembershipFactory(team=team).user)
    html = client.get(reverse("dashboard:team", args=[team.slug])).content.decode()
    assert "0<small> nothing got worse" in html and "stat stat-ok" in html


def test_archived_repositories_are_left_out_of_the_cards_and_the_trend(client, template):
    team = TeamFactory()
    seed(team, 4, template)
    Repository.objects.filter(team=team, slug__in=["svc-0001", "svc-0003"]).update(archived_at=timezone.now())
    client.force_login(MembershipFactory(team=team).user)
    html = client.get(reverse("dashboard:team", args=[team.slug])).content.decode()
    cards = html[html.index('class="stats"') : html.index('class="filters')]
    assert "No health endpoint registered." in cards  # both repositories with endpoints are archived
    assert "svc-0001" not in cards and "svc-0003" not in cards  # the lowest scores: active ones only
    assert ">0.0<small>/10" in cards and ">2.0<small>/10" in cards
    assert "Average, now <strong>1.0</strong>" in cards


# Team figures in the cache (readiness/dashboard/figures.py) ---------------------------------------


def cards_of(client, team) -> str:
    html = client.get(reverse("dashboard:team", args=[team.slug])).content.decode()
    return html[html.index('class="stats"') : html.index('class="filters')]


def test_team_figures_come_from_the_cache_until_what_they_are_computed_from_changes(client, template):
    team = TeamFactory()
    seed(team, 6, template)
    client.force_login(MembershipFactory(team=team).user)
    first, _ = dashboard_queries(client, team)
    again, _ = dashboard_queries(client, team)
    assert again <= first - 5  # the summary, regressions, headline and trend queries are skipped

    # A write that bypasses the services (no state update, no activity entry) is not seen...
    quiet = Repository.objects.get(team=team, slug="svc-0000")
    AppliedChecklist.objects.filter(repository=quiet).update(overall=9.9)
    assert ">9.9<small>/10" not in cards_of(client, team) and ">0.0<small>/10" in cards_of(client, team)
    # ...a live state stored by a run or a tick is (they set state_updated_at).
    AppliedChecklist.objects.filter(repository=quiet).update(overall=0.4, state_updated_at=timezone.now())
    assert ">0.4<small>/10" in cards_of(client, team)


def test_team_figures_follow_archives_new_repositories_and_the_activity_log(client, template):
    team = TeamFactory()
    seed(team, 4, template)
    member = MembershipFactory(team=team)
    client.force_login(member.user)
    assert "3<small> of 4 reach a level" in cards_of(client, team)
    Repository.objects.filter(team=team, slug="svc-0003").update(archived_at=timezone.now())  # no level
    assert "3<small> of 3 reach a level" in cards_of(client, team)
    Repository.objects.create(team=team, name="fresh", slug="fresh", url="/x")
    assert "3<small> of 4 reach a level" in cards_of(client, team)
    # A rename is recorded in the activity log: the cards name the repository by its new name.
    Repository.objects.filter(team=team, slug="svc-0000").update(name="renamed-api")
    activity_record(team=team, actor=member.user, verb="repository.renamed", target="renamed-api")
    assert "renamed-api" in cards_of(client, team)
