from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from readiness.checklists.selectors import team_summaries
from readiness.repos.selectors import repository_list_for_team
from readiness.teams.selectors import team_list_for_user


@login_required
@require_GET
def home(request):
    """The user's teams; a member of exactly one team goes straight to it."""
    teams = list(team_list_for_user(user=request.user))
    if len(teams) == 1:
        return redirect("team_detail", team_slug=teams[0].slug)
    overview = [{"team": team, "repositories": repository_list_for_team(team=team)} for team in teams]
    summaries = {entry["team"].pk: entry for entry in team_summaries(teams=teams)}  # scores across teams
    for entry in overview:
        entry["summary"] = summaries[entry["team"].pk]
    return render(request, "teams/home.html", {"overview": overview})
