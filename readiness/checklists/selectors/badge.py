"""The public badge's one lookup: by its unguessable token, the primary checklist only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from readiness.checklists.models import AppliedChecklist


def applied_by_badge_token(*, token: str) -> AppliedChecklist:
    return get_object_or_404(
        AppliedChecklist.objects.select_related("repository").only(
            "overall", "level", "state", "badge_token", "state_valid_until", "repository"
        ),
        badge_token=token,
        primary=True,
    )
