"""A repository's checklist level (bronze, silver, gold) for the API's gate, from the checklist app.

Without a primary checklist on the repository ``checklist_level`` returns None and the gate says
the level was ignored.
"""

from __future__ import annotations

from django.utils import timezone

from readiness.checklists import status as item_status
from readiness.checklists.models import AppliedChecklist
from readiness.checklists.selectors.states import checklist_state_from_facts, facts_for_repository

LEVELS = item_status.LEVELS


def checklist_level(*, repository, run) -> dict | None:
    """The primary checklist's state from ``run``'s results with today's attestations and waivers
    (a lead's waiver can unblock a deploy): its level, the state (the readiness score's source),
    and each item with whether it blocks its level."""
    applied = (
        AppliedChecklist.objects.select_related("template")
        .filter(repository=repository, primary=True)
        .first()
    )
    if applied is None:
        return None
    slug = applied.template.slug
    items = list(applied.template.items.all())
    facts = facts_for_repository(repository=repository, run=run)
    state = checklist_state_from_facts(
        template=applied.template, facts=facts, now=timezone.now(), items=items
    )
    return {
        "template": slug,
        "title": applied.template.title,
        "level": state["level"],
        "state": state,
        "items": [
            {
                "key": item.key,
                "title": item.title,
                "level": item.level,
                "status": state["items"][item.key],
                "checks": list(item.checks),
                "blocking": state["items"][item.key] not in item_status.LEVEL_NEUTRAL,
            }
            for item in items
        ],
    }
