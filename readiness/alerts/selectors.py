"""Read logic for alerts: a team's channels and settings, recent alerts, failed deliveries."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from readiness.alerts.models import AlertDelivery, AlertEvent, AlertSettings, Channel, DeliveryStatus


def alert_settings_for(*, team) -> AlertSettings:
    """The team's settings row, or an unsaved one with the defaults."""
    return AlertSettings.objects.filter(team=team).first() or AlertSettings(team=team)


def channel_list_for_team(*, team):
    return Channel.objects.filter(team=team).prefetch_related("repositories").order_by("name")


def channel_get(*, team, channel_id: int) -> Channel:
    return get_object_or_404(Channel, team=team, pk=channel_id)


def recent_events(*, team, limit: int = 30) -> list[AlertEvent]:
    return list(
        AlertEvent.objects.filter(team=team)
        .select_related("repository")
        .order_by("-happened_at", "-id")[:limit]
    )


def failed_deliveries(*, team, limit: int = 10):
    """Deliveries that failed for good and no lead has dismissed: shown on the team page."""
    return (
        AlertDelivery.objects.filter(channel__team=team, status=DeliveryStatus.FAILED, dismissed=False)
        .select_related("channel", "event", "repository")
        .order_by("-id")[:limit]
    )
