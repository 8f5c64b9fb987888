"""Pages that bring several apps together: the home page (the user's teams with their summaries),
the team page (its repositories; leads register new ones through the pipeline), the repository page
(runs and scores beside the live endpoints) and the team dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from readiness.checklists.badge import sparkline_svg
from readiness.checklists.score import repository_score, repository_scores, run_scores
from readiness.checklists.services.states import checklist_states_refresh_expired
from readiness.dashboard import selectors
from readiness.dashboard.charts import level_bar_svg, repository_trend_chart, team_trend_chart
from readiness.dashboard.figures import team_figures
from readiness.endpoints.selectors import endpoint_cards
from readiness.pipeline.registration import repository_register
from readiness.repos.access import repository_view
from readiness.repos.backfill import BACKFILL_DEFAULT, BACKFILL_MAX, backfill_progress, backfill_request
from readiness.repos.forms import RepositoryForm
from readiness.repos.lifecycle import RepositoryNameTaken
from readiness.repos.reachability import reachability_request
from readiness.repos.selectors import repository_list_for_team, run_latest, run_list
from readiness.repos.views import RUNS_PER_PAGE, run_panel_context
from readiness.teams.access import team_view
from readiness.teams.models import Role
from readiness.teams.selectors import team_list_for_user

DASHBOARD_PER_PAGE = 25
# The team page's repository list: a page of them, scored, whatever the team's size.
REPOSITORIES_PER_PAGE = 50
# The home page lists a team's repositories only up to this many (its summary covers the rest).
HOME_LIST_MAX = 20


@login_required
@require_GET
def home(request):
    """The user's teams; a member of exactly one team goes straight to it."""
    teams = list(team_list_for_user(user=request.user))
    if len(teams) == 1:
        return redirect("team_detail", team_slug=teams[0].slug)
    summaries = {entry["team"].pk: entry for entry in selectors.team_summaries(teams=teams)}  # across teams
    overview = []
    for team in teams:
        summary = summaries[team.pk]
        # A small team's repositories are listed; a larger one has its summary and a link.
        listed = list(repository_list_for_team(team=team)) if summary["count"] <= HOME_LIST_MAX else []
        overview.append({"team": team, "summary": summary, "repositories": listed})
    _with_scores([repo for entry in overview for repo in entry["repositories"]])
    return render(request, "teams/home.html", {"overview": overview, "home_list_max": HOME_LIST_MAX})


@team_view(
    min_role={"GET": Role.VIEWER, "POST": Role.LEAD}, refusal="Only team leads can register repositories."
)
def team_detail(request, membership):
    team = membership.team
    can_register = membership.is_lead
    form = RepositoryForm(team=team)
    if request.method == "POST":
        form = RepositoryForm(request.POST, team=team)
        if form.is_valid():
            history = form.cleaned_data.pop("history", False)
            try:
                repository = repository_register(team=team, actor=request.user, **form.cleaned_data)
            except RepositoryNameTaken as exc:  # a namesake registered since the form was checked
                form.add_error("name", str(exc))
            else:
                reachability_request(repository=repository)
                if history:  # its last commits too: a trend and a before/after at once
                    backfill_request(repository=repository, count=BACKFILL_DEFAULT, user=request.user)
                    messages.success(
                        request,
                        f"Registered {repository.name}; analysing its last {BACKFILL_DEFAULT} commits.",
                    )
                    url = reverse(
                        "repository_detail", kwargs={"team_slug": team.slug, "repo_slug": repository.slug}
                    )
                    return redirect(url + "#backfill")
                messages.success(request, f"Registered {repository.name}; checking that it is reachable.")
                return redirect("repository_detail", team_slug=team.slug, repo_slug=repository.slug)
    repositories = repository_list_for_team(team=team)
    page = Paginator(repositories, REPOSITORIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "team": team,
        "membership": membership,
        "page": page,
        "repositories": _with_scores(list(page.object_list)),
        "form": form,
        "can_register": can_register,
    }
    status = 400 if form.is_bound else 200  # a re-shown form with errors is a client error
    return render(request, "repos/team_detail.html", context, status=status)


def _with_scores(repositories: list) -> list:
    """Each repository with its readiness score as ``.readiness`` (two queries for them all)."""
    scores = repository_scores(repository_ids=[r.pk for r in repositories])
    for repo in repositories:
        repo.readiness = scores[repo.pk]
    return repositories


@repository_view()
def repository_detail(request, membership, repository):
    if request.htmx and request.GET.get("part") == "score":
        # The score line refreshes itself when the run panel says a run finished.
        context = {"team": membership.team, "repository": repository}
        return render(
            request, "repos/_readiness.html", {**context, "score": repository_score(repository=repository)}
        )
    run = run_latest(repository=repository)
    context = run_panel_context(membership, repository, run)
    if request.htmx:
        return render(request, "repos/_run_panel.html", context)
    page = Paginator(run_list(repository=repository), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    context["runs_page"] = page
    context["score"] = repository_score(repository=repository, latest_run=run)
    page.object_list = list(page.object_list)
    trend = selectors.repository_trend(repository=repository)
    scores = run_scores(repository=repository, runs=page.object_list, template_slug=trend["slug"])
    for r in page.object_list:
        r.readiness = scores.get(r.pk)
    # The live side beside the configuration: each endpoint's state, sparkline and incidents.
    context.update(endpoint_cards(repository=repository), can_edit=context["can_analyze"])
    context.update(
        backfill=backfill_progress(repository=repository),
        backfill_max=BACKFILL_MAX,
        backfill_default=BACKFILL_DEFAULT,
    )
    context["trend"] = repository_trend_chart(trend)
    return render(request, "repos/repository_detail.html", context)


# Sortable columns: (sort key, the direction a first click sorts by). Failing first: a click on
# Score or Level puts the lowest first; Last run puts the newest first.
SORTABLE = {"name": "name", "score": "score", "level": "level", "run": "run"}
DEFAULT_SORT = "score"


def sort_headers(params, current: str) -> dict:
    """Per sortable column: the URL that sorts by it (the other filters kept, back to page 1), and
    its aria-sort state. A second click on the sorted column reverses it."""
    headers = {}
    for column, first in SORTABLE.items():
        if current == first and f"-{first}" in selectors.SORTS:
            target, state = f"-{first}", "ascending"
        elif current == f"-{first}":
            target, state = first, "descending"
        else:
            target, state = first, ("descending" if current == first else "")
        query = params.copy()
        query["sort"] = target
        headers[column] = {"query": query.urlencode(), "state": state}
    return headers


@team_view()
def dashboard(request, membership):
    team = membership.team
    checklist_states_refresh_expired(team=team)
    sort = request.GET.get("sort", DEFAULT_SORT)
    filters = {
        "q": request.GET.get("q", "").strip()[:100],
        "level": request.GET.get("level", ""),
        "run_status": request.GET.get("run", ""),
        "sort": sort if sort in selectors.SORTS else DEFAULT_SORT,
    }
    ids = selectors.dashboard_repository_ids(team=team, **filters)
    page = Paginator(ids, DASHBOARD_PER_PAGE).get_page(request.GET.get("page"))
    repositories = selectors.dashboard_repositories_by_ids(ids=list(page.object_list))
    # The whole page shows the team's endpoints card: its counts serve the rows too.
    endpoints = None if request.htmx else selectors.dashboard_endpoints(team=team)
    data = selectors.dashboard_rows(
        repositories=repositories, endpoint_counts=endpoints["endpoint_counts"] if endpoints else None
    )
    for row in data["rows"]:
        row["sparkline"] = sparkline_svg(row["weekly"])
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "team": team,
        "membership": membership,
        "page": page,
        "rows": data["rows"],
        "categories": data["categories"],
        "filters": filters,
        "filtered": bool(filters["q"] or filters["level"] or filters["run_status"]),
        "query": params.urlencode(),
        "headers": sort_headers(params, filters["sort"]),
        "levels": selectors.LEVEL_FILTERS,
        "run_filters": selectors.RUN_FILTERS,
        "sorts": [
            ("score", "Score, lowest first"),
            ("-score", "Score, highest first"),
            ("level", "Level, lowest first"),
            ("-level", "Level, highest first"),
            ("name", "Name"),
            ("run", "Last run, newest first"),
        ],
    }
    if request.htmx:
        return render(request, "checklists/_dashboard_table.html", context)
    figures = team_figures(team=team)
    summary = {**figures["summary"], **endpoints}
    context.update(
        summary=summary,
        level_bar=level_bar_svg(summary["levels"]),
        trend=team_trend_chart(figures["trend"]),
        headline=figures["headline"],  # the page's, not the table's
    )
    return render(request, "checklists/dashboard.html", context)
