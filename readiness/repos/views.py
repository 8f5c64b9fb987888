"""Pages for runs (start, detail) and the push webhook. One function per page; htmx requests get the
page's partial. The team page and the repository page read other apps too: readiness/dashboard."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from readiness.repos import backfill, selectors, services, sourcing
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
    """Analyse the tracked branch's head, or the branch, tag or commit given as ``ref``."""
    ref = request.POST.get("ref", "").strip()
    try:
        if ref:
            return _analysis_start_ref(request, membership, repository, ref)
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


def _analysis_start_ref(request, membership, repository, ref):
    """A given branch, tag or commit: checked with the server first (a name it does not have is a
    400 naming it), then queued; the run's page follows it."""
    try:
        name = sourcing.source_check_ref(repository, ref)
    except sourcing.SourceError as exc:
        context = {"team": membership.team, "repository": repository, "ref": ref, "error": str(exc)}
        return render(request, "repos/analyze_ref.html", context, status=502 if exc.transient else 400)
    run = services.analysis_request(
        repository=repository, trigger=Trigger.MANUAL, user=request.user, ref=name
    )
    messages.info(request, f"Analysis of {name} queued.")
    url = reverse(
        "run_detail",
        kwargs={"team_slug": membership.team.slug, "repo_slug": repository.slug, "run_id": run.pk},
    )
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@repository_view(
    min_role={"GET": Role.VIEWER, "POST": Role.ENGINEER}, refusal="Viewers cannot start analyses."
)
def repository_backfill(request, membership, repository):
    """POST: analyse the last N commits of the tracked branch. GET: how far that got (htmx polls the
    panel every 2 s until every run finished, then gets 286)."""
    error = ""
    if request.method == "POST":
        try:
            count = int(request.POST.get("count") or backfill.BACKFILL_DEFAULT)
            backfill.backfill_request(repository=repository, count=count, user=request.user)
        except ValueError:  # BackfillError too
            error = f"Choose from 1 to {backfill.BACKFILL_MAX} commits."
        except services.RepositoryArchived as exc:
            error = str(exc)
        if not request.htmx and not error:
            messages.info(request, "Listing the commits; their analyses follow.")
            return redirect(
                reverse(
                    "repository_detail",
                    kwargs={"team_slug": membership.team.slug, "repo_slug": repository.slug},
                )
                + "#backfill"
            )
    context = {
        "team": membership.team,
        "repository": repository,
        "backfill": backfill.backfill_progress(repository=repository),
        "backfill_error": error,
        "can_analyze": membership.can_edit and not repository.is_archived,
        "backfill_max": backfill.BACKFILL_MAX,
        "backfill_default": backfill.BACKFILL_DEFAULT,
    }
    status = 400 if error else 200
    if request.htmx:
        response = render(request, "repos/_backfill.html", context, status=status)
        if request.method == "GET" and (context["backfill"] is None or context["backfill"]["done"]):
            response.status_code = 286  # stop polling
        return response
    return render(request, "repos/backfill.html", context, status=status)


@repository_view()
def run_detail(request, membership, repository, run_id):
    run = selectors.run_get(repository=repository, run_id=run_id)
    context = run_panel_context(membership, repository, run)
    if request.htmx:
        response = render(request, "repos/_run_panel.html", context)
        if run.is_finished:
            # 286 tells htmx to stop polling; the finished panel (with scores) is still swapped in,
            # and the page's readiness score line refreshes on "run-finished".
            stopped = HttpResponseStopPolling(response.content)
            stopped["HX-Trigger"] = "run-finished"
            return stopped
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
