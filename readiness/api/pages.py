"""HTML pages to create, list and revoke API tokens: a team's (leads only) and one's own.

A new token's plaintext is rendered once in the response to the POST that created it; it is never
stored, so it is never shown again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from readiness.api import selectors, services
from readiness.api.forms import TokenForm
from readiness.core.confirm import confirmation
from readiness.teams.access import team_view
from readiness.teams.models import Role

LEADS_ONLY = "Only team leads manage team API tokens."


@never_cache  # the page can hold a new token's plaintext: no browser or proxy may keep it
@team_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=LEADS_ONLY)
def team_tokens(request, membership):
    team = membership.team
    form, created = TokenForm(), None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            token, plaintext = services.token_create(
                name=form.cleaned_data["name"], created_by=request.user, team=team
            )
            created, form = {"token": token, "plaintext": plaintext}, TokenForm()
    context = {
        "team": team,
        "tokens": selectors.token_list_for_team(team=team),
        "form": form,
        "created": created,
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "api/team_tokens.html", context, status=status)


def _confirm_revoke(request, token, cancel: str):
    used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
    return confirmation(
        request,
        title=f"Revoke {token.name}?",
        question=f"Requests that present the token {token.name} ({token.prefix}…) are refused from now on.",
        details=[f"Created {token.created_at:%Y-%m-%d}, {used}"],
        button=f"Revoke {token.name}",
        cancel=cancel,
    )


def _team_token(membership, kwargs) -> dict:
    """The team's token of the URL (404 before any role is judged)."""
    return {"token": selectors.token_get_for_team(team=membership.team, token_id=kwargs.pop("token_id"))}


@team_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=LEADS_ONLY, scope=_team_token)
def team_token_revoke(request, membership, token):
    if request.method == "GET":
        cancel = reverse("api_pages:team_tokens", kwargs={"team_slug": membership.team.slug})
        return _confirm_revoke(request, token, cancel)
    token = services.token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked {token.name}.")
    return redirect("api_pages:team_tokens", team_slug=membership.team.slug)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def personal_tokens(request):
    form, created = TokenForm(), None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            token, plaintext = services.token_create(
                name=form.cleaned_data["name"], created_by=request.user, user=request.user
            )
            created, form = {"token": token, "plaintext": plaintext}, TokenForm()
    context = {
        "tokens": selectors.token_list_for_user(user=request.user),
        "lead_teams": selectors.teams_led_by(user=request.user),
        "form": form,
        "created": created,
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "api/personal_tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def personal_token_revoke(request, token_id):
    token = selectors.token_get_for_user(user=request.user, token_id=token_id)
    if request.method == "GET":
        return _confirm_revoke(request, token, reverse("api_pages:personal_tokens"))
    token = services.token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked {token.name}.")
    return redirect("api_pages:personal_tokens")
