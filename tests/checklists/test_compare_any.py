"""Comparing any two runs or commits: the page's picker (run ids, commits, dates) with its URL
parameters, history order (a backfilled commit at its commit date), and the API by commit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.api.services import token_create
from readiness.pipeline.registration import repository_register
from readiness.repos.models import Trigger
from tests.factories import AnalysisRunFactory, MembershipFactory

pytestmark = pytest.mark.django_db

SHAS = [f"{n:x}" * 40 for n in (10, 11, 12, 13)]  # aaaa…, bbbb…, cccc…, dddd…


@pytest.fixture
def world(client):
    member = MembershipFactory(role="engineer")
    client.force_login(member.user)
    repository = repository_register(team=member.team, name="api", url="https://example.com/api.git")
    now = timezone.now()
    runs = {
        # Backfilled commits: analysed now, made weeks ago.
        "old": AnalysisRunFactory(
            repository=repository,
            status="succeeded",
            finished_at=now - timedelta(minutes=5),
            trigger=Trigger.BACKFILL,
            ref=SHAS[0],
            commit_sha=SHAS[0],
            commit_date=now - timedelta(days=20),
            score=3.0,
        ),
        "mid": AnalysisRunFactory(
            repository=repository,
            status="succeeded",
            finished_at=now - timedelta(minutes=4),
            trigger=Trigger.BACKFILL,
            ref=SHAS[1],
            commit_sha=SHAS[1],
            commit_date=now - timedelta(days=10),
            score=5.0,
        ),
        "head": AnalysisRunFactory(
            repository=repository,
            status="succeeded",
            finished_at=now - timedelta(minutes=10),
            commit_sha=SHAS[2],
            commit_date=now - timedelta(days=1),
            score=8.0,
        ),
        "tag": AnalysisRunFactory(
            repository=repository,
            status="succeeded",
            finished_at=now - timedelta(minutes=1),
            ref="v2.0",
            commit_sha=SHAS[3],
            commit_date=now - timedelta(days=2),
            score=6.0,
        ),
    }
    return member, repository, runs


def url(repository, **params):
    base = reverse(
        "checklists:compare", kwargs={"team_slug": repository.team.slug, "repo_slug": repository.slug}
    )
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def selected(html, side):
    start = html.index(f'id="{side}"')
    chunk = html[start : html.index("</select>", start)]
    return chunk.split("selected>", 1)[1].split("</option>", 1)[0].strip()


def test_the_picker_lists_every_run_in_history_order_and_defaults_to_now_against_a_week_earlier(
    client, world
):
    _member, repository, runs = world
    html = client.get(url(repository)).content.decode()
    picker = html[html.index('id="before"') : html.index("</select>", html.index('id="before"'))]
    # The tag's run and the head's when they finished (the tag's last); backfills at their commits' dates.
    order = [picker.index(f'value="{runs[k].pk}"') for k in ("tag", "head", "mid", "old")]
    assert order == sorted(order)
    assert "(commit)" in picker and "v2.0" in picker
    # The current run (the head's) against the run current a week before it: the commit of 10 days ago.
    assert selected(html, "after").startswith(f"#{runs['head'].pk} ")
    assert selected(html, "before").startswith(f"#{runs['mid'].pk} ")


def test_any_two_runs_or_commits_can_be_compared_and_the_url_keeps_them(client, world):
    _member, repository, runs = world
    by_runs = client.get(url(repository, before=runs["old"].pk, after=runs["tag"].pk)).content.decode()
    assert selected(by_runs, "before").startswith(f"#{runs['old'].pk} ")
    assert selected(by_runs, "after").startswith(f"#{runs['tag'].pk} ")
    assert f"run #{runs['old'].pk} → run #{runs['tag'].pk}" in by_runs

    by_commits = client.get(url(repository, before_commit="AAAAAAA", after_commit=SHAS[3])).content.decode()
    assert f"run #{runs['old'].pk} → run #{runs['tag'].pk}" in by_commits
    assert 'value="AAAAAAA"' in by_commits and f'value="{SHAS[3]}"' in by_commits  # kept in the form

    md = client.get(url(repository, before_commit="aaaa", after_commit="cccc", format="md"))
    assert (
        md.status_code == 200 and f"run{runs['old'].pk}-vs-run{runs['head'].pk}" in md["Content-Disposition"]
    )


def test_a_commit_nobody_analysed_is_said_with_a_button_to_analyse_it(client, world):
    _member, repository, _runs = world
    unknown = "e" * 40
    html = client.get(url(repository, before_commit="aaaa", after_commit=unknown)).content.decode()
    assert 'data-unanalysed="after"' in html
    assert f'name="ref" value="{unknown}"' in html
    short = client.get(url(repository, after_commit="eeee")).content.decode()
    assert "Give its full 40-character id" in short and 'name="ref"' not in short
    nonsense = client.get(url(repository, after_commit="zz<script>")).content.decode()
    assert 'data-unanalysed="after"' in nonsense and "<script>" not in nonsense


def test_the_api_compares_commits(client, world):
    member, repository, runs = world
    _, token = token_create(name="ci", created_by=member.user, team=member.team)
    base = f"/api/v1/teams/{repository.team.slug}/repos/{repository.slug}/compare"
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get(f"{base}?before_commit=aaaaaaa&after={runs['head'].pk}", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["before"]["id"], body["after"]["id"]) == (runs["old"].pk, runs["head"].pk)
    assert body["before"]["commit_date"] is not None and body["before"]["trigger"] == "backfill"
    assert client.get(f"{base}?before_commit=ffff&after=1", headers=headers).status_code == 404
    bad = client.get(f"{base}?before_commit=xyz&after=1", headers=headers)
    assert bad.status_code == 400 and "hex digits" in bad.json()["detail"]


def test_run_lists_leave_the_engine_facts_out_and_compared_runs_are_not_read_again(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _member, repository, runs = world
    with CaptureQueriesContext(connection) as compare_queries:
        html = client.get(url(repository, before=runs["old"].pk, after=runs["tag"].pk)).content.decode()
    assert 'id="comparison"' in html
    kwargs = {"team_slug": repository.team.slug, "repo_slug": repository.slug}
    page = reverse("repository_detail", kwargs=kwargs)
    with CaptureQueriesContext(connection) as page_queries:
        client.get(page)
    run_reads = [
        q["sql"]
        for q in [*compare_queries.captured_queries, *page_queries.captured_queries]
        if q["sql"].startswith('SELECT "repos_analysisrun"."id"')
    ]
    # The lists (the pickers' runs, the run history) do not carry the facts (kilobytes a run)...
    history = 'AS "at" FROM "repos_analysisrun"'
    lists = [sql for sql in run_reads if sql.endswith("LIMIT 200") or history in sql]
    assert len(lists) == 2 and not any('"facts"' in sql for sql in lists)
    # ...and the two runs compared are read once, not again through their snapshots.
    assert not [sql for sql in run_reads if 'WHERE "repos_analysisrun"."id" =' in sql and "LIMIT 21" in sql]
