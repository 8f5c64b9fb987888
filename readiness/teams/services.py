"""Write logic for teams."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from readiness.teams.activity import activity_record
from readiness.teams.models import ActivityEvent, Membership, Role, Team


@transaction.atomic
def team_create(*, name: str, lead=None) -> Team:
    base = slugify(name) or "team"
    slug, n = base, 2
    while Team.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    team = Team.objects.create(name=name, slug=slug)
    if lead is not None:
        Membership.objects.create(team=team, user=lead, role=Role.LEAD)
    return team


def membership_add(*, team: Team, user, role: str = Role.ENGINEER) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return membership


class MembershipError(Exception):
    """A membership change that would leave the team in a bad state."""


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor) -> Membership:
    if membership.role == Role.LEAD and role != Role.LEAD:
        _ensure_another_lead(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    activity_record(
        team=membership.team,
        actor=actor,
        verb="member.role_changed",
        target=membership.user.get_username(),
        obj=membership,
        changes={"role": (old, role)},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    if membership.role == Role.LEAD:
        _ensure_another_lead(membership)
    leaving = actor is not None and actor.pk == membership.user_id
    activity_record(
        team=membership.team,
        actor=actor,
        verb="member.left" if leaving else "member.removed",
        target=membership.user.get_username(),
        obj=membership,
        role=membership.role,
    )
    membership.delete()


def _ensure_another_lead(membership: Membership) -> None:
    # Lock the team's lead rows so two leads cannot demote each other at the same moment.
    leads = Membership.objects.select_for_update().filter(team=membership.team, role=Role.LEAD)
    if not leads.exclude(pk=membership.pk).exists():
        raise MembershipError("A team needs at least one lead: make someone else lead first.")


def team_waiver_policy_set(*, team: Team, max_days: int, actor) -> Team:
    """Change the longest waiver the team accepts. Waivers granted before keep their expiry."""
    old = team.waiver_max_days
    team.waiver_max_days = max_days
    team.save(update_fields=["waiver_max_days"])
    activity_record(
        team=team,
        actor=actor,
        verb="waiver.policy_changed",
        obj=team,
        changes={"longest waiver (days)": (old, max_days)},
    )
    return team


def activity_prune(*, now=None) -> int:
    """Delete audit entries older than AUDIT_RETENTION_DAYS (0 keeps them all); returns how many."""
    days = settings.AUDIT_RETENTION_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = ActivityEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
