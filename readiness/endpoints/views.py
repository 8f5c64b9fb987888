"""The endpoints page of a repository: states, latency, uptime, incidents; register, edit, delete,
probe now. Viewers read; engineers and leads change; another team's repository is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from readiness.core import ratelimit
from readiness.core.confirm import confirmation
from readiness.endpoints import selectors, services
from readiness.endpoints.forms import EndpointForm
from readiness.repos.access import repository_scope, repository_view
from readiness.teams.access import team_view
from readiness.teams.models import Role

READ_ONLY = "Viewers can look at endpoints but not change or probe them."
# Per user: "probe now" makes an outbound request from our network on each click.
PROBE_NOW_RATE = (10, 60)


@team_view()
def team_endpoints(request, membership):
    """All the team's health endpoints on one page, failing first."""
    endpoints = selectors.endpoint_list_for_team(team=membership.team)
    enabled = [e for e in endpoints if e.enabled]
    counts = {state: sum(1 for e in enabled if e.state == state) for state in ("down", "unknown", "up")}
    context = {
        "team": membership.team,
        "membership": membership,
        "endpoints": endpoints,
        "counts": counts,
        "disabled": len(endpoints) - len(enabled),
    }
    return render(request, "endpoints/team_endpoints.html", context)


def _endpoint(membership, kwargs) -> dict:
    """The repository of the URL, then its endpoint (404 before any role is judged)."""
    scoped = repository_scope(membership, kwargs)
    endpoint_id = kwargs.pop("endpoint_id")
    return {
        **scoped,
        "endpoint": selectors.endpoint_get(repository=scoped["repository"], endpoint_id=endpoint_id),
    }


def _endpoint_view(methods):
    return team_view(methods=methods, min_role=Role.ENGINEER, refusal=READ_ONLY, scope=_endpoint)


def _save(form: EndpointForm, save) -> bool:
    """Run the service; its ValidationError (the guard's reason, say) lands on the form."""
    try:
        save()
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    return True


@repository_view(min_role={"GET": Role.VIEWER, "POST": Role.ENGINEER}, refusal=READ_ONLY)
def endpoint_list(request, membership, repository):
    can_edit = membership.can_edit
    form = EndpointForm()
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if form.is_valid() and _save(
            form,
            lambda: services.endpoint_register(
                repository=repository,
                headers=form.cleaned_data["headers"] or None,
                actor=request.user,
                **form.service_kwargs(),
            ),
        ):
            messages.success(
                request, f"Registered {form.cleaned_data['name']}; its first probe runs shortly."
            )
            return redirect("endpoints:list", team_slug=membership.team.slug, repo_slug=repository.slug)
    context = {
        "team": membership.team,
        "repository": repository,
        "can_edit": can_edit,
        "form": form,
        **selectors.endpoint_cards(repository=repository),
    }
    return render(request, "endpoints/endpoint_list.html", context, status=400 if form.is_bound else 200)


@_endpoint_view(["GET", "POST"])
def endpoint_edit(request, membership, repository, endpoint):
    form = EndpointForm(initial=EndpointForm.initial_for(endpoint), editing=True)
    if request.method == "POST":
        form = EndpointForm(request.POST, editing=True)
        if form.is_valid() and _save(
            form,
            lambda: services.endpoint_update(
                endpoint=endpoint,
                headers=form.cleaned_data["headers"] or None,
                clear_headers=form.cleaned_data["clear_headers"],
                actor=request.user,
                **form.service_kwargs(),
            ),
        ):
            messages.success(request, f"Saved {endpoint.name}.")
            return redirect("endpoints:list", team_slug=membership.team.slug, repo_slug=repository.slug)
    context = {"team": membership.team, "repository": repository, "endpoint": endpoint, "form": form}
    return render(request, "endpoints/endpoint_edit.html", context, status=400 if form.is_bound else 200)


@_endpoint_view(["GET", "POST"])
def endpoint_delete(request, membership, repository, endpoint):
    if request.method == "GET":
        return confirmation(
            request,
            title=f"Delete {endpoint.name}?",
            question=f"The health endpoint {endpoint.name} of {repository.name} is no longer probed.",
            details=[endpoint.url, "Its probe history, hourly figures and incidents are deleted with it."],
            button=f"Delete {endpoint.name}",
            cancel=reverse(
                "endpoints:list", kwargs={"team_slug": membership.team.slug, "repo_slug": repository.slug}
            ),
        )
    services.endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, f"Deleted {endpoint.name} and its probe history.")
    return redirect("endpoints:list", team_slug=membership.team.slug, repo_slug=repository.slug)


@_endpoint_view(["POST"])
def endpoint_probe(request, membership, repository, endpoint):
    """Probe now, in this request (bounded by the endpoint's timeout, at most 30 s)."""
    decision = ratelimit.hit("probe_now", f"user:{request.user.pk}", PROBE_NOW_RATE)
    limited = decision is not None and not decision.allowed
    record = None if limited else services.endpoint_probe_now(endpoint=endpoint)
    limited_message = f"Too many probes; try again in {decision.retry_after} s." if limited else ""
    if request.htmx:
        endpoint.refresh_from_db()
        context = {
            "team": membership.team,
            "repository": repository,
            "can_edit": membership.can_edit,
            "card": selectors.endpoint_card(endpoint=endpoint),
            "probed_now": record,
            "limited_message": limited_message,
            "spark_width": selectors.SPARK_WIDTH,
            "spark_height": selectors.SPARK_HEIGHT,
        }
        # 200 even when limited: htmx swaps only successful answers, and the card says why.
        return render(request, "endpoints/_card.html", context)
    if limited:
        messages.error(request, limited_message)
    elif record is None:
        messages.error(request, "The endpoint is disabled: nothing was probed.")
    elif record.ok:
        messages.success(
            request, f"{endpoint.name}: answered {record.status_code} in {record.latency_ms:.0f} ms."
        )
    else:
        messages.error(request, f"{endpoint.name}: {record.error_class}: {record.error}")
    return redirect("endpoints:list", team_slug=membership.team.slug, repo_slug=repository.slug)
