"""A repository's settings page (leads): source, access token, webhook secret, schedule; its
lifecycle card posts to readiness/repos/views_lifecycle.py."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from readiness.core.confirm import confirmation
from readiness.repos import reachability, services
from readiness.repos.access import repository_view
from readiness.repos.forms import RenameForm, ScheduleForm, SourceForm, TokenForm
from readiness.teams.models import Role


def _schedule_initial(repository) -> dict:
    crontab = repository.schedule.crontab if repository.schedule and repository.schedule.crontab else None
    if crontab is None or not repository.schedule.enabled:
        return {"enabled": False, "hour": 3, "minute": 0, "day_of_week": "*"}
    return {
        "enabled": True,
        "hour": crontab.hour,
        "minute": crontab.minute,
        "day_of_week": crontab.day_of_week,
    }


def settings_page(request, membership, repository, *, status=200, **forms):
    """The settings page, with the forms given (a bound one shows its errors) or fresh ones."""
    context = {
        "team": membership.team,
        "repository": repository,
        "source_form": forms.get("source_form")
        or SourceForm(
            initial={"url": repository.url, "branch": repository.branch, "subfolder": repository.subfolder}
        ),
        "token_form": forms.get("token_form") or TokenForm(),
        "schedule_form": forms.get("schedule_form") or ScheduleForm(initial=_schedule_initial(repository)),
        "webhook_url": request.build_absolute_uri(
            reverse("webhook", kwargs={"webhook_id": repository.webhook_id})
        ),
        "new_webhook_secret": forms.get("new_webhook_secret"),
        "rename_form": forms.get("rename_form") or RenameForm(repository=repository),
    }
    return render(request, "repos/repository_settings.html", context, status=status)


@repository_view(
    methods=["GET", "POST"], min_role=Role.LEAD, refusal="Only team leads can change a repository's settings."
)
def repository_settings(request, membership, repository):
    if request.method == "GET":
        return settings_page(request, membership, repository)
    action = request.POST.get("action")
    if action == "source":
        form = SourceForm(request.POST)
        if not form.is_valid():
            return settings_page(request, membership, repository, status=400, source_form=form)
        services.repository_update_source(repository=repository, actor=request.user, **form.cleaned_data)
        reachability.reachability_request(repository=repository)
        messages.success(request, "Source saved; checking that it is reachable.")
    elif action == "token":
        form = TokenForm(request.POST)
        if not form.is_valid():
            return settings_page(request, membership, repository, status=400, token_form=form)
        services.repository_set_token(
            repository=repository, token=form.cleaned_data["token"], actor=request.user
        )
        reachability.reachability_request(repository=repository)
        messages.success(
            request, "Access token saved." if form.cleaned_data["token"] else "Access token removed."
        )
    elif action == "schedule":
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return settings_page(request, membership, repository, status=400, schedule_form=form)
        data = form.cleaned_data
        crontab = None
        if data["enabled"]:
            crontab = services.DEFAULT_SCHEDULE | {
                "hour": str(data["hour"]),
                "minute": str(data["minute"]),
                "day_of_week": data["day_of_week"],
            }
        services.repository_schedule_set(repository=repository, crontab=crontab)
        messages.success(request, "Schedule saved." if crontab else "Scheduled analyses turned off.")
    elif action == "webhook":
        if repository.webhook_secret_encrypted and request.POST.get("confirmed") != "yes":
            # Replacing a secret breaks the git host's webhook until it gets the new one: ask first.
            return confirmation(
                request,
                title="Replace the webhook secret?",
                question=f"Pushes to {repository.name} start nothing until the git host has the new secret.",
                details=["The current secret stops working at once.", "The new one is shown once."],
                button="Make a new secret",
                cancel=reverse(
                    "repository_settings",
                    kwargs={"team_slug": membership.team.slug, "repo_slug": repository.slug},
                ),
                fields=[("action", "webhook"), ("confirmed", "yes")],
            )
        secret = services.webhook_secret_rotate(repository=repository, actor=request.user)
        # Shown in this response only; never stored in plain text nor shown again.
        return settings_page(request, membership, repository, new_webhook_secret=secret)
    else:
        return settings_page(request, membership, repository, status=400)
    return redirect("repository_settings", team_slug=membership.team.slug, repo_slug=repository.slug)


@repository_view(methods=["POST"], min_role=Role.ENGINEER, refusal="Viewers cannot start checks.")
def repository_check_now(request, membership, repository):
    reachability.reachability_request(repository=repository)
    if request.htmx:
        return render(
            request, "repos/_reachability.html", {"team": membership.team, "repository": repository}
        )
    return redirect("repository_settings", team_slug=membership.team.slug, repo_slug=repository.slug)


@repository_view()
def repository_reachability(request, membership, repository):
    """The reachability line; htmx polls it while a check runs."""
    response = render(
        request, "repos/_reachability.html", {"team": membership.team, "repository": repository}
    )
    if request.htmx and repository.reachability != reachability.CHECKING:
        response.status_code = 286  # stop polling
    return response
