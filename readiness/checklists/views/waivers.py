"""The team's waivers in one list (owners, reasons, expiries) and its waiver policy (leads)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from readiness.checklists.selectors import waivers as selectors
from readiness.teams.access import team_view
from readiness.teams.models import WAIVER_MAX_DAYS_LIMIT, Role
from readiness.teams.services import team_waiver_policy_set

EXPIRING_SOON_DAYS = 14


class WaiverPolicyForm(forms.Form):
    waiver_max_days = forms.IntegerField(
        min_value=1,
        max_value=WAIVER_MAX_DAYS_LIMIT,
        label="Longest waiver (days)",
        help_text="For new waivers, the API and .readiness.yml skips; granted waivers keep their date.",
    )


@team_view(min_role={"GET": Role.VIEWER, "POST": Role.LEAD}, refusal="Only team leads set the waiver policy.")
def team_waivers(request, membership):
    team = membership.team
    is_lead = membership.is_lead
    form = WaiverPolicyForm(initial={"waiver_max_days": team.waiver_max_days})
    if request.method == "POST":
        form = WaiverPolicyForm(request.POST)
        if form.is_valid():
            team_waiver_policy_set(
                team=team, max_days=form.cleaned_data["waiver_max_days"], actor=request.user
            )
            messages.success(request, f"Waivers now last at most {team.waiver_max_days} days.")
            return redirect("checklists:waivers", team_slug=team.slug)
    waivers = selectors.waivers_for_team(team=team)
    soon = {w.pk for w in selectors.waivers_expiring(team, within_days=EXPIRING_SOON_DAYS)}
    for waiver in waivers:
        waiver.soon = waiver.pk in soon
        waiver.beyond_policy = (waiver.expires_on - waiver.created_at.date()).days > team.waiver_max_days
    context = {
        "team": team,
        "waivers": waivers,
        "form": form,
        "is_lead": is_lead,
        "soon_days": EXPIRING_SOON_DAYS,
    }
    return render(request, "checklists/waivers.html", context, status=400 if form.is_bound else 200)
