"""Write logic for teams."""

from django.db import transaction
from django.utils.text import slugify

from readiness.teams.activity import activity_record
from readiness.teams.models import Membership, Role, Team


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
        old=old,
        new=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    if membership.role == Role.LEAD:
        _ensure_another_lead(membership)
    activity_record(
        team=membership.team, actor=actor, verb="member.removed", target=membership.user.get_username()
    )
    membership.delete()


def _ensure_another_lead(membership: Membership) -> None:
    # Lock the team's lead rows so two leads cannot demote each other at the same moment.
    leads = Membership.objects.select_for_update().filter(team=membership.team, role=Role.LEAD)
    if not leads.exclude(pk=membership.pk).exists():
        raise MembershipError("A team needs at least one lead: make someone else lead first.")
