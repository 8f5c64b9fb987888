"""The team activity log: one call from each service that changes something people care about."""

from __future__ import annotations

from readiness.teams.models import ActivityEvent

# The verbs recorded, for the filter on the activity page.
VERBS = {
    "repository.registered": "registered a repository",
    "repository.changed": "changed a repository's settings",
    "run.triggered": "triggered an analysis",
    "item.ticked": "ticked an item",
    "item.unticked": "unticked an item",
    "item.undone": "undid a tick",
    "checklist.applied": "applied a checklist",
    "item.waived": "waived an item",
    "waiver.revoked": "revoked a waiver",
    "template.changed": "changed a checklist template",
    "member.invited": "invited someone",
    "member.joined": "joined",
    "member.role_changed": "changed a role",
    "member.removed": "removed a member",
}


def activity_record(*, team, actor, verb: str, target: str = "", **details) -> ActivityEvent:
    if verb not in VERBS:
        raise ValueError(f"unknown activity verb {verb!r}")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return ActivityEvent.objects.create(
        team=team, actor=user, verb=verb, target=target[:300], details=details
    )
