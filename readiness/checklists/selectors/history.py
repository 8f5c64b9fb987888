"""What happened over time: one item's events, and weekly score trends."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.utils import timezone

from readiness.checklists.models import Attestation, ChecklistSnapshot, ItemNote, Waiver
from readiness.checklists.selectors.items import STATUS_LABELS


def item_history(*, repository, template_slug: str, item_key: str, limit: int = 100) -> list[dict]:
    """What happened to one item, newest first: status changes across runs, ticks, waivers, notes."""
    events = []
    previous = None
    for snapshot in (
        ChecklistSnapshot.objects.filter(repository=repository, template_slug=template_slug)
        .select_related("run")
        .order_by("taken_at", "id")
    ):
        status = snapshot.data.get("items", {}).get(item_key)
        if status is not None and status != previous:
            events.append(
                {
                    "at": snapshot.taken_at,
                    "kind": "run",
                    "text": f"Run #{snapshot.run_id}: {STATUS_LABELS.get(status, status)}",
                    "status": status,
                }
            )
            previous = status
    for a in Attestation.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key
    ).select_related("by"):
        verb = "undid the last change" if a.is_undo else ("ticked" if a.checked else "unticked")
        text = f"{a.by or 'someone'} {verb}"
        if a.evidence_url:
            text += f" (evidence: {a.evidence_url})"
        events.append(
            {
                "at": a.recorded_at,
                "kind": "attestation",
                "text": text,
                "status": "done" if a.checked else "todo",
            }
        )
    for w in Waiver.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key
    ).select_related("granted_by", "revoked_by"):
        events.append(
            {
                "at": w.created_at,
                "kind": "waiver",
                "text": f"{w.granted_by or 'someone'} waived it until {w.expires_on:%Y-%m-%d}: {w.reason}",
                "status": "waived",
            }
        )
        if w.revoked_at:
            events.append(
                {
                    "at": w.revoked_at,
                    "kind": "waiver",
                    "text": f"{w.revoked_by or 'someone'} ended the waiver",
                    "status": "",
                }
            )
    for n in ItemNote.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key
    ).select_related("author"):
        events.append(
            {"at": n.created_at, "kind": "note", "text": f"{n.author or 'someone'}: {n.text}", "status": ""}
        )
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


def weekly_trends_for_repository(*, repository, weeks: int = 12, now: datetime | None = None) -> dict:
    """{template id: weekly overall scores, oldest first} over the last ``weeks`` weeks (one query)."""
    now = now or timezone.now()
    points: dict[int, list] = defaultdict(list)
    for template_id, taken_at, overall in (
        ChecklistSnapshot.objects.filter(repository=repository, taken_at__gte=now - timedelta(weeks=weeks))
        .order_by("taken_at", "id")
        .values_list("template_id", "taken_at", "overall")
    ):
        points[template_id].append((taken_at, overall))
    return {tid: weekly_points(p, weeks=weeks, now=now) for tid, p in points.items()}


def weekly_points(
    points: list[tuple[datetime, float | None]], *, weeks: int, now: datetime
) -> list[float | None]:
    """The last score of each of the last ``weeks`` weeks (oldest first), carried forward."""
    values: list[float | None] = [None] * weeks
    start = now - timedelta(weeks=weeks)
    for taken_at, overall in points:
        index = int((taken_at - start) / timedelta(weeks=1))
        if 0 <= index < weeks and overall is not None:
            values[index] = overall
    last = None
    for i, value in enumerate(values):
        if value is None and last is not None:
            values[i] = last
        last = values[i]
    return values
