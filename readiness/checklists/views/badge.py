"""The public badge: an SVG of the primary checklist's score and level, by unguessable token."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from readiness.checklists.badge import badge_svg
from readiness.checklists.score import repository_score
from readiness.checklists.selectors.badge import applied_by_badge_token
from readiness.checklists.services.states import checklist_states_refresh


@require_GET
@cache_control(public=True, max_age=300)
def badge(request, token):
    applied = applied_by_badge_token(token=token)
    if applied.state_valid_until is not None and applied.state_valid_until <= timezone.now():
        checklist_states_refresh(repository=applied.repository)  # a waiver or a tick expired
        applied.refresh_from_db()
    response = HttpResponse(
        badge_svg(repository_score(repository=applied.repository)), content_type="image/svg+xml"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
