"""Read logic for teams. Every query for team data starts from the user's memberships."""

from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from readiness.teams.models import Membership, Role, Team

# Roles allowed to do things, from weakest to strongest.
ROLE_RANK = {Role.VIEWER: 0, Role.ENGINEER: 1, Role.LEAD: 2}


def team_list_for_user(*, user) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user, team_slug: str) -> Membership:
    """The user's membership of a team, or 404: another team's existence is never confirmed.
    All the user's memberships are read at once (a handful), so the membership carries the user's
    teams for the navigation's team switcher (``user_teams``) without another query."""
    if not user.is_authenticated:
        raise Http404
    memberships = list(Membership.objects.select_related("team").filter(user=user).order_by("team__name"))
    for membership in memberships:
        if membership.team.slug == team_slug:
            membership.user_teams = [m.team for m in memberships]
            return membership
    raise Http404


def role_at_least(membership: Membership, role: str) -> bool:
    return ROLE_RANK[Role(membership.role)] >= ROLE_RANK[Role(role)]


def activity_filtered(events, data: dict):
    """Narrow an ActivityEvent queryset by a valid ActivityFilterForm's cleaned data."""
    if data.get("verb"):
        events = events.filter(verb=data["verb"])
    if data.get("actor"):
        events = events.filter(actor_name__iexact=data["actor"].strip())
    zone = timezone.get_current_timezone()
    if data.get("since"):
        events = events.filter(created_at__gte=datetime.combine(data["since"], time.min, tzinfo=zone))
    if data.get("until"):
        end = datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone)
        events = events.filter(created_at__lt=end)
    if data.get("team"):
        events = events.filter(team__slug=data["team"])
    return events
