"""Waivers across a team: the list in force, the ones ending soon (reminders), an item's current one."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from readiness.checklists.models import TemplateItem, Waiver


def _active_waivers(*, team, today=None):
    today = today or timezone.localdate()
    return (
        Waiver.objects.filter(repository__team=team, revoked_at__isnull=True, expires_on__gte=today)
        .select_related("repository", "granted_by")
        .order_by("expires_on", "repository__name", "item_key")
    )


def _with_titles(waivers, team) -> list:
    """Each waiver with ``item_title`` (its current template item's title, else its key)."""
    waivers = list(waivers)
    keys = {(w.template_slug, w.item_key) for w in waivers}
    titles = {}
    if keys:
        rows = TemplateItem.objects.filter(
            Q(template__team=team) | Q(template__team__isnull=True),
            template__is_current=True,
            template__slug__in={s for s, _ in keys},
            key__in={k for _, k in keys},
        ).values_list("template__slug", "key", "title")
        titles = {(s, k): t for s, k, t in rows}
    for w in waivers:
        w.item_title = titles.get((w.template_slug, w.item_key), w.item_key)
    return waivers


def waivers_for_team(*, team, today=None) -> list:
    """The team's active waivers, soonest expiry first, with their owner (granted_by) and reason."""
    return _with_titles(_active_waivers(team=team, today=today), team)


def waivers_expiring(team, within_days: int = 14, *, today=None) -> list:
    """Active waivers of ``team`` that end within ``within_days`` days (today included), soonest
    first: for the weekly report's reminders and, later, alerts. Each has ``repository``,
    ``item_title``, ``granted_by``, ``reason``, ``expires_on`` and ``days_left``."""
    today = today or timezone.localdate()
    soon = _active_waivers(team=team, today=today).filter(expires_on__lte=today + timedelta(days=within_days))
    waivers = _with_titles(soon, team)
    for w in waivers:
        w.days_left = (w.expires_on - today).days
    return waivers


def waiver_active(*, repository, template_slug: str, item_key: str):
    """The item's waiver in force today, or None."""
    return (
        Waiver.objects.filter(
            repository=repository,
            template_slug=template_slug,
            item_key=item_key,
            revoked_at__isnull=True,
            expires_on__gte=timezone.localdate(),
        )
        .select_related("granted_by")
        .first()
    )
