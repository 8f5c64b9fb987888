"""The team navigation of the site layout (templates/_team_nav.html): on every page of a team, the
team switcher and the team's sections, with the current one marked."""

from __future__ import annotations

# The section of the navigation each team page belongs to, by URL name (namespaced names match on
# their namespace too). Pages not listed mark no section.
SECTIONS = {
    "dashboard:team": "dashboard",
    "team_detail": "repositories",
    "repository_detail": "repositories",
    "repository_settings": "repositories",
    "run_detail": "repositories",
    "checklists:repository": "repositories",
    "checklists:compare": "repositories",
    "checklists:history": "repositories",
    "repositories_archived": "repositories",
    "repository_rename": "repositories",
    "repository_archive": "repositories",
    "repository_restore": "repositories",
    "repository_delete": "repositories",
    "endpoints": "endpoints",
    "activity": "activity",
    "team_settings": "settings",
    "members": "settings",
    "member_remove": "settings",
    "invitation_revoke": "settings",
    "checklists:template_list": "settings",
    "checklists:template_detail": "settings",
    "checklists:waivers": "settings",
    "checklists:revoke": "settings",
    "reports": "settings",
    "alerts": "settings",
    "api_pages:team_tokens": "settings",
    "api_pages:team_token_revoke": "settings",
}


def nav_section(view_name: str) -> str:
    if view_name in SECTIONS:
        return SECTIONS[view_name]
    return SECTIONS.get(view_name.partition(":")[0], "") if ":" in view_name else ""


def team_nav(request) -> dict:
    """``request.membership`` is set by the access decorator (readiness/teams/access.py) once the user's
    membership of the URL's team is known, with the user's teams (``user_teams``, read by
    ``membership_get`` in the same query)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    match = getattr(request, "resolver_match", None)
    return {
        "nav_membership": membership,
        "nav_section": nav_section(match.view_name if match else ""),
        "nav_teams": membership.user_teams,
    }
