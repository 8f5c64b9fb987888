"""Pages for runs (start, detail) and the push webhook. One function per page; htmx requests get the
page's partial. The team page and the repository page read other apps too: readiness/dashboard."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from readiness.repos import selectors, services
from readiness.repos.access import repository_view
from readiness.repos.models import Trigger
from readiness.repos.webhooks import MAX_BODY_BYTES, webhook_receive
from readiness.teams.models import Role

RUNS_PER_PAGE = 20


def run_panel_context(membership, repository, run):
    show_scorecard = run is None or run.is_finished
    latest_ok = selectors.run_latest_succeeded(repository=repository) if show_scorecard else None
    return {
        "team": membership.team,
        "repository": repository,
        "run": run,
        "can_analyze": membership.can_edit and not repository.is_archived,
        "can_manage": membership.is_lead,
        "scorecard": selectors.scorecard_for_run(run=latest_ok),
    }


@repository_view(methods=["POST"], min_role=Role.ENGINEER, refusal="Viewers cannot start analyses.")
def analysis_start(request, membership, repository):
    try:
        run = services.analysis_request(repository=repository, trigger=Trigger.MANUAL, user=request.user)
    except services.RepositoryArchived as exc:
        messages.error(request, str(exc))
        url = reverse(
            "repository_detail", kwargs={"team_slug": membership.team.slug, "repo_slug": repository.slug}
        )
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return render(request, "repos/_run_panel.html", run_panel_context(membership, repository, run))
    if getattr(run, "queued_offline", False):  # the broker is away; the outbox relay sends it later
        messages.info(request, "Analysis queued; it will start when the workers are reachable.")
    else:
        messages.info(request, "Analysis queued.")
    return redirect("repository_detail", team_slug=membership.team.slug, repo_slug=repository.slug)


@repository_view()
def run_detail(request, membership, repository, run_id):
    run = selectors.run_get(repository=repository, run_id=run_id)
    context = run_panel_context(membership, repository, run)
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
