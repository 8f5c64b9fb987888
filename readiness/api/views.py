"""The JSON API for CI (docs/api.md, described by openapi.py). Views parse and answer; the work
is in selectors and services. Every error is JSON (see auth.api_view)."""

from __future__ import annotations

import json
import math
import re
from datetime import date

from django.core.paginator import EmptyPage, Paginator
from django.http import HttpResponse, JsonResponse

from readiness.api import payloads, selectors
from readiness.api.auth import api_error, api_token_required, api_view
from readiness.api.levels import LEVELS
from readiness.api.openapi import openapi_description
from readiness.api.sarif import run_sarif as render_run_sarif
from readiness.checklists.errors import ChecklistError
from readiness.checklists.services import records as checklist_records
from readiness.repos import selectors as repo_selectors
from readiness.repos import services as repo_services
from readiness.repos.models import RunStatus, Trigger

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 100


# A run id, a commit (hex) or a branch name: what `new_since` may name.
NEW_SINCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")


class BadParameter(ValueError):
    pass


def _int_param(
    request, name: str, *, default: int | None = None, minimum: int = 1, maximum: int | None = None
):
    raw = request.GET.get(name)
    if raw is None or raw == "":
        if default is None:
            raise BadParameter(f"{name} is required.")
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise BadParameter(f"{name} must be a whole number, not {raw[:40]!r}.")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        raise BadParameter(f"{name} must be from {minimum}" + (f" to {maximum}." if maximum else " up."))
    return value


def _repository(request, team_slug, repo_slug):
    access = selectors.token_team_access(token=request.api_principal, team_slug=team_slug)
    return access, repo_selectors.repository_get(team=access.team, slug=repo_slug)


def _succeeded_run(repository, run_id: int):
    """A run of the repository (404 otherwise) and, when it has no results, a 409 to answer."""
    run = repo_selectors.run_get(repository=repository, run_id=run_id)
    if run.status != RunStatus.SUCCEEDED:
        return run, api_error(
            409, f"Run {run.pk} is {run.status}; it has results once it succeeds.", run=run.pk
        )
    return run, None


@api_view("GET")
def openapi(request):
    return JsonResponse(openapi_description())


@api_view("GET")
@api_token_required
def repository_list(request):
    teams = selectors.token_teams(token=request.api_principal)
    team_slug = request.GET.get("team")
    if team_slug:
        teams = [selectors.token_team_access(token=request.api_principal, team_slug=team_slug).team]
    try:
        page_number = _int_param(request, "page", default=1)
        per_page = _int_param(request, "per_page", default=PER_PAGE_DEFAULT, maximum=PER_PAGE_MAX)
    except BadParameter as exc:
        return api_error(400, str(exc))
    paginator = Paginator(selectors.repository_list_for_teams(teams=teams), per_page)
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        return api_error(404, f"Page {page_number} does not exist; there are {paginator.num_pages}.")
    return JsonResponse(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "per_page": per_page,
            "results": [payloads.repository_payload(r) for r in page.object_list],
        }
    )


@api_view("POST")
@api_token_required
def run_create(request, team_slug, repo_slug):
    access, repository = _repository(request, team_slug, repo_slug)
    if not access.can_trigger:
        return api_error(403, "Viewers cannot start analyses.")
    token = request.api_principal
    try:
        run = repo_services.analysis_request(
            repository=repository, trigger=Trigger.API, user=token.user, api_token=token
        )
    except repo_services.RepositoryArchived as exc:
        return api_error(409, str(exc))
    body = payloads.run_payload(run)
    response = JsonResponse(body, status=202)
    response["Location"] = body["url"]
    return response


@api_view("POST")
@api_token_required
def waiver_create(request, team_slug, repo_slug):
    """Grant a waiver, under the team's policy (the same service as the page)."""
    access, repository = _repository(request, team_slug, repo_slug)
    if not access.is_lead:
        return api_error(403, "Waivers are granted with a team lead's personal token.")
    try:
        body = json.loads(request.body or b"{}")
        fields = {name: body[name] for name in ("template", "item", "reason", "expires_on")}
        expires_on = date.fromisoformat(str(fields["expires_on"]))
    except (ValueError, TypeError, KeyError):
        return api_error(400, "Send JSON with template, item, reason and expires_on (YYYY-MM-DD).")
    try:
        waiver = checklist_records.waiver_grant(
            repository=repository,
            template_slug=str(fields["template"]),
            item_key=str(fields["item"]),
            reason=str(fields["reason"]),
            expires_on=expires_on,
            user=request.api_principal.user,
        )
    except ChecklistError as exc:
        return api_error(400, str(exc))
    return JsonResponse(payloads.waiver_payload(waiver), status=201)


@api_view("GET")
@api_token_required
def run_detail(request, team_slug, repo_slug, run_id):
    _access, repository = _repository(request, team_slug, repo_slug)
    run = repo_selectors.run_get(repository=repository, run_id=run_id)
    return JsonResponse(payloads.run_payload(run))


@api_view("GET")
@api_token_required
def run_sarif(request, team_slug, repo_slug, run_id):
    _access, repository = _repository(request, team_slug, repo_slug)
    run, conflict = _succeeded_run(repository, run_id)
    if conflict:
        return conflict
    return HttpResponse(render_run_sarif(run=run), content_type="application/sarif+json")


@api_view("GET")
@api_token_required
def scorecard(request, team_slug, repo_slug):
    _access, repository = _repository(request, team_slug, repo_slug)
    run = repo_selectors.run_latest_succeeded(repository=repository)
    if run is None:
        return api_error(404, "The repository has no successful analysis yet.")
    return JsonResponse(payloads.scorecard_payload(repo_selectors.scorecard_for_run(run=run)))


def _gate_params(request) -> tuple[float | None, str | None, int | None, str | None]:
    raw_score = request.GET.get("min_score")
    min_score = None
    if raw_score not in (None, ""):
        try:
            min_score = float(raw_score)
        except ValueError:
            raise BadParameter(f"min_score must be a number from 0 to 10, not {raw_score[:40]!r}.") from None
        if not math.isfinite(min_score) or not 0 <= min_score <= 10:
            raise BadParameter(f"min_score must be a number from 0 to 10, not {raw_score[:40]!r}.")
    level = request.GET.get("level") or None
    if level is not None and level not in LEVELS:
        raise BadParameter(f"level must be one of {', '.join(LEVELS)}, not {level[:40]!r}.")
    new_since = request.GET.get("new_since") or None
    if new_since is not None and not NEW_SINCE.fullmatch(new_since):
        raise BadParameter(f"new_since must be a run id, a commit or a branch name, not {new_since[:40]!r}.")
    if min_score is None and level is None and new_since is None:
        raise BadParameter("Give min_score (0 to 10), level (bronze, silver or gold), new_since, or several.")
    run_id = _int_param(request, "run") if request.GET.get("run") else None
    return min_score, level, run_id, new_since


@api_view("GET")
@api_token_required
def gate(request, team_slug, repo_slug):
    _access, repository = _repository(request, team_slug, repo_slug)
    try:
        min_score, level, run_id, new_since = _gate_params(request)
    except BadParameter as exc:
        return api_error(400, str(exc))
    if run_id is not None:
        run = repo_selectors.run_get(repository=repository, run_id=run_id)
    else:
        run = repo_selectors.run_latest_succeeded(repository=repository)
    result = selectors.gate_evaluate(
        repository=repository, run=run, min_score=min_score, level=level, new_since=new_since
    )
    body = payloads.gate_payload(result, min_score=min_score, level=level)
    return JsonResponse(body, status=200 if result["passed"] else 409)


@api_view("GET")
@api_token_required
def compare(request, team_slug, repo_slug):
    _access, repository = _repository(request, team_slug, repo_slug)
    try:
        before_id = _int_param(request, "before")
        after_id = _int_param(request, "after")
    except BadParameter as exc:
        return api_error(400, str(exc))
    before, conflict = _succeeded_run(repository, before_id)
    if conflict:
        return conflict
    after, conflict = _succeeded_run(repository, after_id)
    if conflict:
        return conflict
    comparison = selectors.runs_compare(before=before, after=after)
    return JsonResponse(
        {"before": payloads.run_payload(before), "after": payloads.run_payload(after), **comparison}
    )


@api_view("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
def not_found(request, path=""):
    return api_error(404, "No such API endpoint; see /api/v1/openapi.json.")
