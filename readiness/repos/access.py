"""The access decorator for pages of one repository: ``team_view`` (readiness/teams/access.py) with
the repository of the URL looked up inside the user's team (another team's repository is a 404).

    @repository_view(methods=["POST"], min_role=Role.ENGINEER, refusal="Viewers cannot start analyses.")
    def analysis_start(request, membership, repository):
        ...
"""

from __future__ import annotations

from readiness.repos.selectors import repository_get
from readiness.teams.access import team_view


def repository_scope(membership, kwargs) -> dict:
    """A ``scope`` for team_view: the repository of the URL, inside the member's team."""
    return {"repository": repository_get(team=membership.team, slug=kwargs.pop("repo_slug"))}


def repository_view(**options):
    """``team_view`` options (methods, min_role, refusal); the view receives ``repository`` too."""
    return team_view(scope=repository_scope, **options)
