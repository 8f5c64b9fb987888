"""The team dashboard and the home page (the user's teams with their summaries)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from readiness.checklists.badge import sparkline_svg
from readiness.checklists.services.states import checklist_states_refresh_expired
from readiness.dashboard import selectors
from readiness.repos.selectors import repository_list_for_team
from readiness.teams.selectors import membership_get, team_list_for_user

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


@login_required
@require_GET
def dashboard(request, team_slug):
    membership = membership_get(user=request.user, team_slug=team_slug)
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
