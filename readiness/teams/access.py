"""Who may use a team's page: the one access decorator every team-scoped view wears.

    @team_view(methods=["POST"], min_role=Role.LEAD, refusal="Only team leads can invite.")
    def member_invite(request, membership):
        ...

    @team_view(min_role={"GET": Role.VIEWER, "POST": Role.LEAD}, refusal="Only team leads can import.")
    def template_list(request, membership):  # everyone reads, leads import
        ...

In order: anonymous users go to the login page; a method not listed answers 405; the team comes from
the user's membership, so another team (or no such team) is a 404 that confirms nothing; ``scope``
(see readiness/repos/access.py) looks up the object the URL names inside that team, 404 when missing;
a member below ``min_role`` (one role, or one per method) gets PermissionDenied (403, the site's 403
page with ``refusal``). The view receives ``membership`` (and what ``scope`` adds) instead of
``team_slug``. tests/security/test_url_matrix.py holds every route to its roles.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_http_methods

from readiness.teams.models import Role
from readiness.teams.selectors import membership_get, role_at_least


def team_view(
    *,
    methods: Iterable[str] | None = None,
    min_role: str | dict[str, str] = Role.VIEWER,
    refusal: str = "Your role in this team does not allow this.",
    scope: Callable[..., dict] | None = None,
):
    """``methods`` defaults to the keys of a per-method ``min_role``, else GET only.
    ``scope(membership, kwargs) -> dict`` pops the URL arguments it uses from ``kwargs`` and returns
    the objects to pass to the view (``{"repository": ...}``)."""
    roles = min_role if isinstance(min_role, dict) else None
    allowed = list(methods if methods is not None else (roles or ("GET",)))

    def decorate(view):
        @functools.wraps(view)
        def checked(request, team_slug, **kwargs):
            membership = membership_get(user=request.user, team_slug=team_slug)
            request.membership = membership  # the site layout's team navigation (context_processors)
            scoped = scope(membership, kwargs) if scope is not None else {}
            if not role_at_least(membership, roles[request.method] if roles else min_role):
                raise PermissionDenied(refusal)
            return view(request, membership=membership, **scoped, **kwargs)

        return login_required(require_http_methods(allowed)(checked))

    return decorate
