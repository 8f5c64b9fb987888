"""A repository's lifecycle (leads): rename, archive, restore, delete; and the team's archived list.

Archiving and deleting ask first (docs/architecture.md, "Destructive actions ask first"): the GET of
the action's URL is the confirmation page, only the POST changes anything. Deleting also asks for
the repository's name, typed."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from readiness.core.confirm import confirmation
from readiness.repos import lifecycle, selectors
from readiness.repos.access import repository_view
from readiness.repos.forms import DeleteForm, RenameForm
from readiness.repos.views_settings import settings_page
from readiness.teams.access import team_view
from readiness.teams.models import Role

LEADS_ONLY = "Only team leads can rename, archive or delete repositories."


def _repository_url(membership, repository) -> str:
    return reverse(
        "repository_detail", kwargs={"team_slug": membership.team.slug, "repo_slug": repository.slug}
    )


@repository_view(methods=["POST"], min_role=Role.LEAD, refusal=LEADS_ONLY)
def repository_rename(request, membership, repository):
    form = RenameForm(request.POST, repository=repository)
    if form.is_valid():
        old = repository.name
        try:
            lifecycle.repository_rename(
                repository=repository, name=form.cleaned_data["name"], actor=request.user
            )
        except lifecycle.RepositoryNameTaken as exc:  # a namesake registered meanwhile
            form.add_error("name", str(exc))
        else:
            if repository.name != old:
                messages.success(request, f"Renamed {old} to {repository.name}.")
            return redirect("repository_settings", team_slug=membership.team.slug, repo_slug=repository.slug)
    return settings_page(request, membership, repository, status=400, rename_form=form)


@repository_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=LEADS_ONLY)
def repository_archive(request, membership, repository):
    if request.method == "GET":
        return confirmation(
            request,
            title=f"Archive {repository.name}?",
            question=f"{repository.name} leaves the team's lists, dashboard and weekly report.",
            details=[
                "Its runs, checklists and endpoints are kept; restore it at any time from “Archived”.",
                "Scheduled analyses, push webhooks and endpoint probes pause while it is archived.",
            ],
            button=f"Archive {repository.name}",
            cancel=_repository_url(membership, repository),
        )
    lifecycle.repository_archive(repository=repository, actor=request.user)
    messages.success(request, f"Archived {repository.name}. Restore it from the archived list at any time.")
    return redirect("repositories_archived", team_slug=membership.team.slug)


@repository_view(methods=["POST"], min_role=Role.LEAD, refusal=LEADS_ONLY)
def repository_restore(request, membership, repository):
    lifecycle.repository_restore(repository=repository, actor=request.user)
    messages.success(request, f"Restored {repository.name}.")
    return redirect(_repository_url(membership, repository))


@repository_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=LEADS_ONLY)
def repository_delete(request, membership, repository):
    form = DeleteForm(request.POST if request.method == "POST" else None, repository=repository)
    if request.method == "POST" and form.is_valid():
        name = repository.name
        removed = lifecycle.repository_delete(repository=repository, actor=request.user)
        runs = removed["runs"]
        messages.success(request, f"Deleted {name} and its {runs} analysis run{'' if runs == 1 else 's'}.")
        return redirect("team_detail", team_slug=membership.team.slug)
    context = {
        "team": membership.team,
        "repository": repository,
        "form": form,
        "run_count": repository.runs.count(),
        "cancel": reverse(
            "repository_settings",
            kwargs={"team_slug": membership.team.slug, "repo_slug": repository.slug},
        ),
    }
    return render(request, "repos/repository_delete.html", context, status=400 if form.is_bound else 200)


@team_view()
def repositories_archived(request, membership):
    context = {
        "team": membership.team,
        "membership": membership,
        "repositories": selectors.repository_list_archived(team=membership.team),
        "can_manage": membership.is_lead,
    }
    return render(request, "repos/archived.html", context)
