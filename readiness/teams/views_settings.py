"""A team's settings: one page that leads to each thing a team sets up (members, checklist
templates, waivers, weekly reports, CI tokens), showing what the member's role may change."""

from django.shortcuts import render

from readiness.teams.access import team_view


@team_view()
def team_settings(request, membership):
    team = membership.team
    context = {"team": team, "membership": membership, "member_count": team.memberships.count()}
    return render(request, "teams/settings.html", context)
