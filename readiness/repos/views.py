"""Pages for repositories and runs. One function per page; htmx requests get the page's partial."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from readiness.endpoints.selectors import endpoint_cards
from readiness.repos import selectors, services
from readiness.repos.forms import RepositoryForm
from readiness.repos.models import Trigger
from readiness.repos.reachability import reachability_request
from readiness.repos.webhooks import MAX_BODY_BYTES, webhook_receive
from readiness.teams.models import Role
from readiness.teams.selectors import membership_get, role_at_least

RUNS_PER_PAGE = 20


@login_required
@require_http_methods(["GET", "POST"])
def team_detail(request, team_slug):
    membership = membership_get(user=request.user, team_slug=team_slug)
    team = membership.team
    can_register = role_at_least(membership, Role.LEAD)
    form = RepositoryForm()
    if request.method == "POST":
        if not can_register:
            return HttpResponseForbidden("Only team leads can register repositories.")
        form = RepositoryForm(request.POST)
        if form.is_valid():
            repository = services.repository_register(team=team, actor=request.user, **form.cleaned_data)
            reachability_request(repository=repository)
            messages.success(request, f"Registered {repository.name}; checking that it is reachable.")
            return redirect("repository_detail", team_slug=team.slug, repo_slug=repository.slug)
    context = {
        "team": team,
        "membership": membership,
        "repositories": selectors.repository_list_for_team(team=team),
        "form": form,
        "can_register": can_register,
    }
    status = 400 if form.is_bound else 200  # a re-shown form with errors is a client error
    return render(request, "repos/team_detail.html", context, status=status)


def _run_panel_context(membership, repository, run):
    show_scorecard = run is None or run.is_finished
    latest_ok = selectors.run_latest_succeeded(repository=repository) if show_scorecard else None
    return {
        "team": membership.team,
        "repository": repository,
        "run": run,
        "can_analyze": role_at_least(membership, Role.ENGINEER),
        "can_manage": role_at_least(membership, Role.LEAD),
        "scorecard": selectors.scorecard_for_run(run=latest_ok),
    }


@login_required
@require_GET
def repository_detail(request, team_slug, repo_slug):
    membership = membership_get(user=request.user, team_slug=team_slug)
    repository = selectors.repository_get(team=membership.team, slug=repo_slug)
    run = selectors.run_latest(repository=repository)
    context = _run_panel_context(membership, repository, run)
    if request.htmx:
        return render(request, "repos/_run_panel.html", context)
    page = Paginator(selectors.run_list(repository=repository), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context["runs_page"] = page
    # The live side beside the configuration: each endpoint's state, sparkline and incidents.
    context.update(endpoint_cards(repository=repository), can_edit=context["can_analyze"])
    return render(request, "repos/repository_detail.html", context)


@login_required
@require_POST
def analysis_start(request, team_slug, repo_slug):
    membership = membership_get(user=request.user, team_slug=team_slug)
    repository = selectors.repository_get(team=membership.team, slug=repo_slug)
    if not role_at_least(membership, Role.ENGINEER):
        return HttpResponseForbidden("Viewers cannot start analyses.")
    run = services.analysis_request(repository=repository, trigger=Trigger.MANUAL, user=request.user)
    if request.htmx:
        return render(request, "repos/_run_panel.html", _run_panel_context(membership, repository, run))
    if getattr(run, "queued_offline", False):  # the broker is away; the outbox relay sends it later
        messages.info(request, "Analysis queued; it will start when the workers are reachable.")
    else:
        messages.info(request, "Analysis queued.")
    return redirect("repository_detail", team_slug=team_slug, repo_slug=repo_slug)


@login_required
@require_GET
def run_detail(request, team_slug, repo_slug, run_id):
    membership = membership_get(user=request.user, team_slug=team_slug)
    repository = selectors.repository_get(team=membership.team, slug=repo_slug)
    run = selectors.run_get(repository=repository, run_id=run_id)
    context = _run_panel_context(membership, repository, run)
    if request.htmx:
        response = render(request, "repos/_run_panel.html", context)
        if run.is_finished:
            # 286 tells htmx to stop polling; the finished panel (with scores) is still swapped in.
            return HttpResponseStopPolling(response.content)
        return response
    context["scorecard"] = selectors.scorecard_for_run(run=run) if run.status == "succeeded" else None
    return render(request, "repos/run_detail.html", context)


@csrf_exempt
@require_POST
def webhook(request, webhook_id):
    """Push webhooks: authenticated by signature, not by session (so no CSRF token)."""
    length = request.headers.get("Content-Length", "0")
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return JsonResponse({"detail": f"body missing or larger than {MAX_BODY_BYTES} bytes"}, status=413)
    outcome = webhook_receive(webhook_id=webhook_id, headers=request.headers, body=request.body)
    body = {"detail": outcome.detail}
    if outcome.run_id is not None:
        body["run"] = outcome.run_id
    return JsonResponse(body, status=outcome.status)
