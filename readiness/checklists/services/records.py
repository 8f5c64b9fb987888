"""What engineers and leads record on an item: ticks (attestations), waivers and notes. Nothing is
overwritten: ticks and undos append rows, a waiver ended early keeps who ended it."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from readiness.checklists.errors import ChecklistError
from readiness.checklists.models import Attestation, ItemNote, TemplateItem, Waiver
from readiness.checklists.services.states import checklist_states_refresh
from readiness.teams.activity import activity_record


def item_get_applied(*, repository, template_slug: str, item_key: str) -> TemplateItem:
    """The item of a checklist applied to the repository, or ChecklistError."""
    item = (
        TemplateItem.objects.select_related("template")
        .filter(
            template__applications__repository=repository,
            template__slug=template_slug,
            key=item_key,
        )
        .first()
    )
    if item is None:
        raise ChecklistError("That item is not on a checklist of this repository.")
    return item


@transaction.atomic  # the write, the state refresh and the activity entry: all or none
def attestation_record(
    *,
    repository,
    template_slug: str,
    item_key: str,
    checked: bool,
    user,
    evidence_url: str = "",
    note: str = "",
) -> Attestation:
    """Tick or untick a manual item; who and when are recorded, nothing is overwritten."""
    item = item_get_applied(repository=repository, template_slug=template_slug, item_key=item_key)
    if not item.manual:
        raise ChecklistError("Automated items follow their checks; only manual items are ticked.")
    if checked and item.evidence_required and not evidence_url:
        raise ChecklistError("This item needs an evidence link (a runbook, a ticket, a report).")
    now = timezone.now()
    attestation = Attestation.objects.create(
        repository=repository,
        template_slug=template_slug,
        item_key=item_key,
        checked=checked,
        by=user,
        recorded_at=now,
        at=now,
        evidence_url=evidence_url,
        note=note[:500],
    )
    checklist_states_refresh(repository=repository)
    activity_record(
        team=repository.team,
        actor=user,
        verb="item.ticked" if checked else "item.unticked",
        target=f"{repository.name}: {item.title}",
        evidence_url=evidence_url,
    )
    return attestation


@transaction.atomic  # the write, the state refresh and the activity entry: all or none
def attestation_undo(*, repository, template_slug: str, item_key: str, user) -> Attestation:
    """Revert an item to the state before its latest attestation (appending, never deleting)."""
    item_get_applied(repository=repository, template_slug=template_slug, item_key=item_key)
    rows = list(
        Attestation.objects.filter(
            repository=repository, template_slug=template_slug, item_key=item_key
        ).order_by("-id")[:2]
    )
    if not rows:
        raise ChecklistError("Nothing to undo.")
    previous = rows[1] if len(rows) > 1 else None
    now = timezone.now()
    attestation = Attestation.objects.create(
        repository=repository,
        template_slug=template_slug,
        item_key=item_key,
        checked=previous.checked if previous else False,
        by=user,
        recorded_at=now,
        at=previous.at if previous else now,
        evidence_url=previous.evidence_url if previous else "",
        note="undo",
        is_undo=True,
    )
    checklist_states_refresh(repository=repository)
    activity_record(
        team=repository.team, actor=user, verb="item.undone", target=f"{repository.name}: {item_key}"
    )
    return attestation


@transaction.atomic  # the write, the state refresh and the activity entry: all or none
def waiver_grant(
    *, repository, template_slug: str, item_key: str, reason: str, expires_on: date, user
) -> Waiver:
    """A lead's waiver: the item is left out of scores until ``expires_on`` (inclusive), which the
    team's policy limits to ``team.waiver_max_days`` from today (the pages, the API and
    .readiness.yml skips all meet this one rule)."""
    item = item_get_applied(repository=repository, template_slug=template_slug, item_key=item_key)
    reason = reason.strip()
    if not reason:
        raise ChecklistError("A waiver needs a reason.")
    if expires_on < timezone.localdate():
        raise ChecklistError("The expiry date is in the past.")
    latest = waiver_latest_expiry(team=repository.team)
    if expires_on > latest:
        raise ChecklistError(
            f"Waivers in {repository.team.name} last at most {repository.team.waiver_max_days} days: "
            f"choose {latest.isoformat()} or earlier."
        )
    now = timezone.now()
    with transaction.atomic():
        Waiver.objects.filter(
            repository=repository, template_slug=template_slug, item_key=item_key, revoked_at__isnull=True
        ).update(revoked_at=now, revoked_by=user)
        waiver = Waiver.objects.create(
            repository=repository,
            template_slug=template_slug,
            item_key=item_key,
            reason=reason,
            expires_on=expires_on,
            granted_by=user,
            created_at=now,
        )
    checklist_states_refresh(repository=repository)
    activity_record(
        team=repository.team,
        actor=user,
        verb="item.waived",
        target=f"{repository.name}: {item.title}",
        obj=waiver,
        reason=reason,
        expires_on=expires_on.isoformat(),
    )
    return waiver


def waiver_latest_expiry(*, team) -> date:
    """The latest expiry a waiver granted today may have under the team's policy."""
    return timezone.localdate() + timedelta(days=team.waiver_max_days)


@transaction.atomic  # the write, the state refresh and the activity entry: all or none
def waiver_revoke(*, repository, template_slug: str, item_key: str, user) -> int:
    now = timezone.now()
    count = Waiver.objects.filter(
        repository=repository, template_slug=template_slug, item_key=item_key, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_by=user)
    checklist_states_refresh(repository=repository)
    if count:
        activity_record(
            team=repository.team, actor=user, verb="waiver.revoked", target=f"{repository.name}: {item_key}"
        )
    return count


@transaction.atomic  # the write, the state refresh and the activity entry: all or none
def note_add(*, repository, template_slug: str, item_key: str, text: str, user) -> ItemNote:
    item_get_applied(repository=repository, template_slug=template_slug, item_key=item_key)
    text = text.strip()
    if not text:
        raise ChecklistError("A note cannot be empty.")
    note = ItemNote.objects.create(
        repository=repository,
        template_slug=template_slug,
        item_key=item_key,
        text=text[:4000],
        author=user,
        created_at=timezone.now(),
    )
    activity_record(
        team=repository.team,
        actor=user,
        verb="item.noted",
        target=f"{repository.name}: {item_key}",
        obj=note,
        text=text[:200] + ("…" if len(text) > 200 else ""),
    )
    return note
