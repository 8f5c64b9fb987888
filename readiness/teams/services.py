"""Write logic for teams."""

from django.db import transaction
from django.utils.text import slugify

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
