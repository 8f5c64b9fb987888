"""What the checklist views share."""

from __future__ import annotations

from django.urls import reverse


def checklist_url(team_slug, repo_slug, anchor=""):
    url = reverse("checklists:repository", kwargs={"team_slug": team_slug, "repo_slug": repo_slug})
    return f"{url}#{anchor}" if anchor else url
