"""Pages that bring several apps together: the home page (the user's teams with their summaries),
the team page (its repositories; leads register new ones through the pipeline), the repository page
(runs and scores beside the live endpoints) and the team dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from readiness.checklists.badge import sparkline_svg
from readiness.checklists.services.states import checklist_states_refresh_expired
from readiness.dashboard import selectors
from readiness.endpoints.selectors import endpoint_cards
from readiness.pipeline.registration import repository_register
from readiness.repos.access import repository_view
from readiness.repos.forms import RepositoryForm
from readiness.repos.lifecycle import RepositoryNameTaken
from readiness.repos.reachability import reachability_request
from readiness.repos.selectors import repository_list_for_team, run_latest, run_list
from readiness.repos.views import RUNS_PER_PAGE, run_panel_context
from readiness.teams.access import team_view
from readiness.teams.models import Role
from readiness.teams.selectors import team_list_for_user

DASHBOARD_PER_PAGE = 25


@login_required
@require_GET
def home(request):
    """The user's teams; a member of exactly one team goes straight to it."""
    teams = list(team_list_for_user(user=request.user))
    if len(teams) == 1:
        return redirect("team_detail", team_slug=teams[0].slug)
    overview = [{"team": team, "repositories": repository_list_for_team(team=team)} for team in teams]
    summaries = {entry["team"].pk: entry for entry in selectors.team_summaries(teams=teams)}  # across teams
    for entry in overview:
        entry["summary"] = summaries[entry["team"].pk]
    return render(request, "teams/home.html", {"overview": overview})


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
            try:
                repository = repository_register(team=team, actor=request.user, **form.cleaned_data)
            except RepositoryNameTaken as exc:  # a namesake registered since the form was checked
                form.add_error("name", str(exc))
            else:
                reachability_request(repository=repository)
                messages.success(request, f"Registered {repository.name}; checking that it is reachable.")
                return redirect("repository_detail", team_slug=team.slug, repo_slug=repository.slug)
    context = {
        "team": team,
        "membership": membership,
        "repositories": repository_list_for_team(team=team),
        "form": form,
        "can_register": can_register,
    }
    status = 400 if form.is_bound else 200  # a re-shown form with errors is a client error
    return render(request, "repos/team_detail.html", context, status=status)


@repository_view()
def repository_detail(request, membership, repository):
    run = run_latest(repository=repository)
    context = run_panel_context(membership, repository, run)
    if request.htmx:
        return render(request, "repos/_run_panel.html", context)
    page = Paginator(run_list(repository=repository), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    context["runs_page"] = page
    # The live side beside the configuration: each endpoint's state, sparkline and incidents.
    context.update(endpoint_cards(repository=repository), can_edit=context["can_analyze"])
    return render(request, "repos/repository_detail.html", context)


@team_view()
def dashboard(request, membership):
    team = membership.team
    checklist_states_refresh_expired(team=team)
    filters = {
        "q": request.GET.get("q", "").strip()[:100],
        "level": request.GET.get("level", ""),
        "run_status": request.GET.get("run", ""),
        "sort": request.GET.get("sort", "name"),
    }
    ids = selectors.dashboard_repository_ids(team=team, **filters)
    page = Paginator(ids, DASHBOARD_PER_PAGE).get_page(request.GET.get("page"))
    repositories = selectors.dashboard_repositories_by_ids(ids=list(page.object_list))
    data = selectors.dashboard_rows(repositories=repositories)
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
        "query": params.urlencode(),
        "levels": selectors.LEVEL_FILTERS,
        "run_filters": selectors.RUN_FILTERS,
        "sorts": [
            ("name", "Name"),
            ("-score", "Score, high first"),
            ("score", "Score, low first"),
            ("-level", "Level, high first"),
            ("run", "Last run"),
        ],
    }
    if request.htmx:
        return render(request, "checklists/_dashboard_table.html", context)
    return render(request, "checklists/dashboard.html", context)
