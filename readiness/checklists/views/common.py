"""What the checklist views share."""

from __future__ import annotations

from django.urls import reverse

from readiness.repos import selectors as repo_selectors
from readiness.teams.selectors import membership_get


def member_repository(request, team_slug, repo_slug):
    """(the user's membership, the repository inside that team), or 404."""
    membership = membership_get(user=request.user, team_slug=team_slug)
    repository = repo_selectors.repository_get(team=membership.team, slug=repo_slug)
    return membership, repository


def checklist_url(team_slug, repo_slug, anchor=""):
    url = reverse("checklists:repository", kwargs={"team_slug": team_slug, "repo_slug": repo_slug})
    return f"{url}#{anchor}" if anchor else url
